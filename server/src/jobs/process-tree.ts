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

/**
 * Every live (non-zombie) process belonging to a job: descendants of `rootPid`, members of its
 * process group, and any process carrying the job's marker in its environment — which finds
 * grandchildren that called setsid or double-forked away from the tree.
 */
export async function findJobProcesses(jobId: string, rootPid?: number | null): Promise<ProcessInfo[]> {
  const marker = `${JOB_MARKER_ENV}=${jobId}\0`;
  const infos = (await Promise.all((await listPids()).map(readStat))).filter((p): p is ProcessInfo => !!p && p.state !== 'Z' && p.state !== 'X');
  const found = new Map<number, ProcessInfo>();
  if (rootPid) {
    const children = new Map<number, ProcessInfo[]>();
    for (const p of infos) {
      const list = children.get(p.ppid) ?? [];
      list.push(p);
      children.set(p.ppid, list);
    }
    const root = infos.find((p) => p.pid === rootPid);
    const stack = root ? [root] : [];
    while (stack.length) {
      const p = stack.pop() as ProcessInfo;
      if (found.has(p.pid)) continue;
      found.set(p.pid, p);
      stack.push(...(children.get(p.pid) ?? []));
    }
    for (const p of infos) if (p.pgid === rootPid) found.set(p.pid, p);
  }
  const self = process.pid;
  await Promise.all(
    infos.map(async (p) => {
      if (p.pid !== self && !found.has(p.pid) && (await hasMarker(p.pid, marker))) found.set(p.pid, p);
    }),
  );
  found.delete(self);
  return [...found.values()];
}

/** Whether `pid` is alive and still one of this job's processes (guards against PID reuse). */
export async function isJobProcessAlive(jobId: string, pid: number): Promise<boolean> {
  const info = await readStat(pid);
  if (!info || info.state === 'Z' || info.state === 'X') return false;
  return hasMarker(pid, `${JOB_MARKER_ENV}=${jobId}\0`);
}

function signalAll(processes: ProcessInfo[], signal: NodeJS.Signals, pgid?: number | null): void {
  if (pgid) {
    try {
      process.kill(-pgid, signal);
    } catch {
      // the group is already gone
    }
  }
  for (const p of processes) {
    try {
      process.kill(p.pid, signal);
    } catch {
      // exited meanwhile
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface KillResult {
  /** Processes that were still alive when SIGKILL was needed. */
  killed: number;
  /** Processes found alive at the end (0 unless something is unkillable). */
  survivors: number;
}

/**
 * Ends every process of a job: SIGTERM to all of them, a grace period, then SIGKILL to whatever is left,
 * rescanning each round so that processes forked meanwhile are caught too.
 */
export async function killJobProcesses(jobId: string, rootPid: number | null | undefined, graceMs: number): Promise<KillResult> {
  let processes = await findJobProcesses(jobId, rootPid);
  signalAll(processes, 'SIGTERM', rootPid);
  const deadline = Date.now() + graceMs;
  while (processes.length && Date.now() < deadline) {
    await sleep(Math.min(100, Math.max(10, deadline - Date.now())));
    processes = await findJobProcesses(jobId, rootPid);
    // Children forked after the first signal get their SIGTERM too.
    signalAll(processes, 'SIGTERM');
  }
  let killed = 0;
  for (let round = 0; round < 50 && processes.length; round++) {
    killed = Math.max(killed, processes.length);
    signalAll(processes, 'SIGKILL', rootPid);
    await sleep(20);
    processes = await findJobProcesses(jobId, rootPid);
  }
  return { killed, survivors: processes.length };
}
