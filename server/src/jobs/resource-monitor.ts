import pidusage from 'pidusage';
import { findJobProcesses } from './process-tree.ts';

export interface UsageSample {
  cpuPercent: number;
  rssBytes: number;
  processes: number;
}

/** CPU and resident memory of the whole process tree of a job (every process carrying its marker). */
export async function sampleJobUsage(jobId: string, rootPid: number | null | undefined): Promise<UsageSample> {
  const pids = (await findJobProcesses(jobId, rootPid)).map((p) => p.pid);
  if (pids.length === 0) return { cpuPercent: 0, rssBytes: 0, processes: 0 };
  const stats = await pidusage(pids).catch(() => ({}) as Record<string, { cpu: number; memory: number } | undefined>);
  let cpuPercent = 0;
  let rssBytes = 0;
  for (const pid of pids) {
    const s = stats[pid];
    if (!s) continue;
    cpuPercent += s.cpu;
    rssBytes += s.memory;
  }
  return { cpuPercent, rssBytes, processes: pids.length };
}
