import { readFile, readdir } from 'node:fs/promises';

/** The environment variable every process of a job inherits; it finds processes that left the tree or the group. */
export const JOB_MARKER_ENV = 'ANANA_JOB_ID';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
}

async function readStat(pid: number): Promise<ProcessInfo | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, state: fields[0], ppid: Number(fields[1]), pgid: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

async function hasMarker(pid: number, marker: string): Promise<boolean> {
  try {
    const environ = await readFile(`/proc/${pid}/environ`);
    return environ.includes(marker);
  } catch {
    return false;
  }
}

async function listPids(): Promise<number[]> {
  const entries = await readdir('/proc');
  return entries.filter((e) => /^\d+$/.test(e)).map(Number);
}

const isLive = (p: ProcessInfo | undefined): p is ProcessInfo => !!p && p.state !== 'Z' && p.state !== 'X';
const markerOf = (jobId: string) => `${JOB_MARKER_ENV}=${jobId}\0`;

export interface JobProcesses {
  processes: ProcessInfo[];
  /**
   * The process group that is provably the job's (its leader or a member carries the marker), if any:
   * only such a group may be signalled as a whole. A recorded pgid alone proves nothing once its leader
   * has exited, because the number can be reused by an unrelated session.
   */
  pgid: number | undefined;
}

/**
 * Every live (non-zombie) process belonging to a job: each process carrying the job's marker in its
 * environment (which finds grandchildren that called setsid or double-forked away from the tree), plus
 * descendants and group members of `rootPid` — but those only while `rootPid` itself is provably the job's
 * (alive with the marker), so that a recorded pid reused by an unrelated process never leads to its tree.
 */
export async function scanJobProcesses(jobId: string, rootPid?: number | null): Promise<JobProcesses> {
  const marker = markerOf(jobId);
  const self = process.pid;
  const infos = (await Promise.all((await listPids()).map(readStat))).filter(isLive).filter((p) => p.pid !== self);
  const marked = new Set<number>();
  await Promise.all(
    infos.map(async (p) => {
      if (await hasMarker(p.pid, marker)) marked.add(p.pid);
    }),
  );
  const found = new Map<number, ProcessInfo>();
  for (const p of infos) if (marked.has(p.pid)) found.set(p.pid, p);
  const root = rootPid ? found.get(rootPid) : undefined;
  if (root) {
    for (const p of descendantsOf(root, infos)) found.set(p.pid, p);
    for (const p of infos) if (p.pgid === root.pid) found.set(p.pid, p);
  }
  const groupIsTheJobs = !!rootPid && infos.some((p) => p.pgid === rootPid && marked.has(p.pid));
  return { processes: [...found.values()], pgid: groupIsTheJobs ? rootPid : undefined };
}

function descendantsOf(root: ProcessInfo, infos: ProcessInfo[]): ProcessInfo[] {
  const children = new Map<number, ProcessInfo[]>();
  for (const p of infos) {
    const list = children.get(p.ppid) ?? [];
    list.push(p);
    children.set(p.ppid, list);
  }
  const result: ProcessInfo[] = [];
  const seen = new Set<number>();
  const stack = [root];
  while (stack.length) {
    const p = stack.pop() as ProcessInfo;
    if (seen.has(p.pid)) continue;
    seen.add(p.pid);
    result.push(p);
    stack.push(...(children.get(p.pid) ?? []));
  }
  return result;
}

/** The processes of a job (see {@link scanJobProcesses}). */
export async function findJobProcesses(jobId: string, rootPid?: number | null): Promise<ProcessInfo[]> {
  return (await scanJobProcesses(jobId, rootPid)).processes;
}

/** Whether `pid` is alive and still one of this job's processes (guards against PID reuse). */
export async function isJobProcessAlive(jobId: string, pid: number): Promise<boolean> {
  if (!isLive(await readStat(pid))) return false;
  return hasMarker(pid, markerOf(jobId));
}

/** Whether any process of the job is alive (the launcher may be gone while what it started runs on). */
export async function anyJobProcessAlive(jobId: string): Promise<boolean> {
  return (await findJobProcesses(jobId)).length > 0;
}

/** Signals the provable group as a whole (one call reaches members forked since the scan) and each process outside it. */
function signalAll({ processes, pgid }: JobProcesses, signal: NodeJS.Signals): void {
  if (pgid) {
    try {
      process.kill(-pgid, signal);
    } catch {
      // the group is already gone
    }
  }
  for (const p of processes) {
    // A member of the group has its signal from the group's: a second one, delivered after its handler ran for the
    // first, runs the handler twice (bash counts trapped signals), which cuts short the clean-up a stop allows.
    if (pgid && p.pgid === pgid) continue;
    try {
      process.kill(p.pid, signal);
    } catch {
      // exited meanwhile
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface KillResult {
  /** Processes found at the start (each got SIGTERM). */
  found: number;
  /** Processes that were still alive when SIGKILL was needed. */
  killed: number;
  /** Processes found alive at the end (0 unless something is unkillable). */
  survivors: number;
}

/**
 * Ends every process of a job: SIGTERM to all of them, a grace period (ended early once all are gone), then
 * SIGKILL to whatever is left — including processes forked meanwhile — rescanning until none is.
 */
export async function killJobProcesses(jobId: string, rootPid: number | null | undefined, graceMs: number): Promise<KillResult> {
  let scan = await scanJobProcesses(jobId, rootPid);
  const found = scan.processes.length;
  // One SIGTERM, then only watching: a second one, or one to a process its handler starts (a checkpoint
  // upload, `sleep` in a shell trap), would cut short the clean-up the grace period is for.
  signalAll(scan, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (scan.processes.length && Date.now() < deadline) {
    await sleep(Math.min(100, Math.max(10, deadline - Date.now())));
    scan = await scanJobProcesses(jobId, rootPid);
  }
  let killed = 0;
  for (let round = 0; round < 50 && scan.processes.length; round++) {
    killed = Math.max(killed, scan.processes.length);
    signalAll(scan, 'SIGKILL');
    await sleep(20);
    scan = await scanJobProcesses(jobId, rootPid);
  }
  return { found, killed, survivors: scan.processes.length };
}
