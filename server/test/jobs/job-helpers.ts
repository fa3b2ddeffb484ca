import { readFileSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { PROJECT_ROOT } from '../../src/config/config.ts';
import { waitFor, type TestServer } from '../support/test-server.ts';

export const TRAINERS = path.join(PROJECT_ROOT, 'server', 'test', 'support', 'trainers');

/** The argv prefix that runs one of the test trainers (the server appends its structured arguments). */
export function trainer(name: string, ...args: (string | number)[]): string[] {
  const file = path.join(TRAINERS, name);
  return name.endsWith('.sh') ? ['bash', file, ...args.map(String)] : [process.execPath, file, ...args.map(String)];
}

/**
 * Sets the trainer command for the jobs queued from now on. The command is read when a job is queued, so
 * one server can run several trainers (starting a server per trainer would cost seconds each).
 */
export function useTrainer(server: TestServer, argv: string[]): void {
  server.app.services.config.trainCmd = argv;
}

export const JOB_FIELDS = 'id status exitCode signal error pid lastSeq startedAt finishedAt stopRequested command cwd';

type Gql = TestServer['gql'];

export async function startJob(gql: Gql, input: Record<string, unknown> = { trials: 1, quick: true }): Promise<string> {
  const res = await gql('mutation($input: StartJobInput!) { startJob(input: $input) { id status } }', { input });
  expect(res.errors).toBeUndefined();
  return res.data.startJob.id;
}

export async function getJob(gql: Gql, id: string, fields = JOB_FIELDS): Promise<any> {
  const res = await gql(`query($id: ID!) { job(id: $id) { ${fields} } }`, { id });
  expect(res.errors).toBeUndefined();
  return res.data.job;
}

export const TERMINAL = ['SUCCEEDED', 'FAILED', 'STOPPED', 'LOST'];

/** Waits until the job has one of `statuses` (default: any terminal state) and returns it. */
export async function waitForJob(gql: Gql, id: string, statuses = TERMINAL, timeoutMs = 30_000, fields = JOB_FIELDS): Promise<any> {
  return waitFor(
    async () => {
      const job = await getJob(gql, id, fields);
      return statuses.includes(job.status) ? job : undefined;
    },
    timeoutMs,
    `job ${id} to be ${statuses.join('/')}`,
  );
}

/** Every persisted line of a job, through the `logs` query, paging by seq. */
export async function allLogLines(gql: Gql, jobId: string): Promise<{ seq: number; text: string; stream: string; level: string }[]> {
  const lines: any[] = [];
  let afterSeq = 0;
  for (;;) {
    const res = await gql('query($id: ID!, $after: Int) { logs(jobId: $id, afterSeq: $after, first: 1000) { hasMore lastSeq lines { seq text stream level } } }', { id: jobId, after: afterSeq });
    expect(res.errors).toBeUndefined();
    lines.push(...res.data.logs.lines);
    if (!res.data.logs.hasMore) return lines;
    afterSeq = res.data.logs.lastSeq;
  }
}

/** The lines of `<resultsDir>/logs/<jobId>.log` (seq, time, stream, level, text separated by tabs). */
export async function logFileLines(resultsDir: string, jobId: string): Promise<{ seq: number; stream: string; level: string; text: string }[]> {
  const content = await readFile(path.join(resultsDir, 'logs', `${jobId}.log`), 'utf8');
  return content
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const [seq, , stream, level, ...text] = l.split('\t');
      return { seq: Number(seq), stream, level, text: text.join('\t') };
    });
}

/** `[1, 2, ..., n]`. */
export const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** The process state letter from /proc (R, S, D, Z, ...), or undefined when the pid does not exist. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** Alive in the sense that matters: exists and is not a zombie (a zombie runs nothing and holds no resources). */
export function isAlive(pid: number): boolean {
  const state = processState(pid);
  return state !== undefined && state !== 'Z' && state !== 'X';
}

/** Live processes whose environment carries ANANA_JOB_ID=<jobId>, found by scanning /proc independently of the server's code. */
export function processesOfJob(jobId: string): number[] {
  const marker = Buffer.from(`ANANA_JOB_ID=${jobId}\0`);
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      if (readFileSync(`/proc/${pid}/environ`).includes(marker) && isAlive(pid)) pids.push(pid);
    } catch {
      // gone, or not ours
    }
  }
  return pids;
}

/** Pids a trainer printed as `<role> <pid>` lines. */
export function printedPids(lines: { text: string }[]): Map<string, number> {
  const pids = new Map<string, number>();
  for (const { text } of lines) {
    const match = /^(main|ignorer|setsid|daemon) (\d+)$/.exec(text);
    if (match) pids.set(match[1], Number(match[2]));
  }
  return pids;
}

/** Kills what a failed test may have left behind (by pid, never by name). */
export function killQuietly(pids: Iterable<number>): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
