// No imports: the benchmarks' child processes (subscriber, upload client) use this without loading the server's code.

/** CPU time (user + system, ms) this process spent since `start` (a `process.cpuUsage()` reading). */
export function cpuMsSince(start: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1000;
}
