import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { findJobProcesses, isJobProcessAlive, killJobProcesses } from '../../src/jobs/process-tree.ts';
import { waitFor } from '../support/test-server.ts';
import { isAlive, killQuietly, processState, trainer } from './job-helpers.ts';

const started = new Set<number>();
afterEach(() => {
  killQuietly(started);
  started.clear();
});

/**
 * Starts `argv` as the leader of a new process group (like a job's launcher), with the job marker when a job
 * id is given, and resolves with the `<role> <pid>` lines it prints once `roles` have all appeared.
 */
async function spawnTree(argv: string[], jobId: string | undefined, roles: string[]): Promise<{ root: number; pids: Map<string, number> }> {
  const env = { ...process.env };
  delete env.ANANA_JOB_ID;
  if (jobId) env.ANANA_JOB_ID = jobId;
  const child = spawn(argv[0], argv.slice(1), { env, detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  started.add(child.pid as number);
  child.unref();
  const pids = new Map<string, number>();
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only saw ${[...pids.keys()]}`)), 10_000);
    lines.on('line', (line) => {
      const match = /^(\w+) (\d+)$/.exec(line);
      if (!match) return;
      pids.set(match[1], Number(match[2]));
      started.add(Number(match[2]));
      if (roles.every((r) => pids.has(r))) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  // The pipe stays open and read: a tree that prints once more must not die of SIGPIPE (afterEach kills it).
  return { root: child.pid as number, pids };
}

const STUBBORN_ROLES = ['main', 'ignorer', 'setsid', 'daemon'];

describe('process tree of a job', () => {
  it('finds every process of a job, also those that left the group (setsid) or the tree (double fork), and nothing else', async () => {
    const jobId = randomUUID();
    const job = await spawnTree(trainer('stubborn-tree.sh'), jobId, STUBBORN_ROLES);
    const other = await spawnTree(trainer('stubborn-tree.sh'), randomUUID(), STUBBORN_ROLES);
    const found = new Set((await findJobProcesses(jobId, job.root)).map((p) => p.pid));
    for (const [role, pid] of job.pids) expect(found.has(pid), role).toBe(true);
    for (const [role, pid] of other.pids) expect(found.has(pid), `other job's ${role}`).toBe(false);
    expect(found.has(process.pid)).toBe(false);
  });

  it('kills them all: SIGTERM, the grace period, then SIGKILL for those that ignore it', async () => {
    const jobId = randomUUID();
    const { root, pids } = await spawnTree(trainer('stubborn-tree.sh'), jobId, STUBBORN_ROLES);
    const t0 = Date.now();
    const result = await killJobProcesses(jobId, root, 300);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(result.survivors).toBe(0);
    expect(result.killed).toBeGreaterThanOrEqual(3);
    for (const [role, pid] of pids) expect(isAlive(pid), `${role} ${pid}`).toBe(false);
    expect(await findJobProcesses(jobId, root)).toEqual([]);
  });

  it('does not wait out the grace period when everything exits on SIGTERM', async () => {
    const jobId = randomUUID();
    const { root } = await spawnTree(['bash', '-c', 'echo "main $$"; sleep 30 & sleep 30 & wait'], jobId, ['main']);
    await waitFor(async () => (await findJobProcesses(jobId, root)).length === 3, 5_000, 'three processes');
    const t0 = Date.now();
    const result = await killJobProcesses(jobId, root, 5_000);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(result).toEqual({ found: 3, killed: 0, survivors: 0 });
  });

  it('never follows a recorded pid that now belongs to someone else (pid reuse): that tree and its group are left alone', async () => {
    const jobId = randomUUID();
    const job = await spawnTree(['bash', '-c', 'echo "main $$"; exec sleep 30'], jobId, ['main']);
    // An unrelated process group whose leader happens to have the pid the job recorded.
    const stranger = await spawnTree(['bash', '-c', 'echo "main $$"; sleep 30 & echo "child $!"; setsid sleep 30 & wait'], undefined, ['main', 'child']);
    const result = await killJobProcesses(jobId, stranger.root, 100);
    expect(result.survivors).toBe(0);
    expect(isAlive(job.pids.get('main') as number)).toBe(false);
    expect(isAlive(stranger.root)).toBe(true);
    expect(isAlive(stranger.pids.get('child') as number)).toBe(true);
    expect(await isJobProcessAlive(jobId, stranger.root)).toBe(false);
  });

  it('treats a zombie as dead', async () => {
    const jobId = randomUUID();
    // `exec` replaces the shell with a process that never reaps the short-lived child: it stays a zombie.
    const { pids } = await spawnTree(['bash', '-c', 'sleep 0.1 & echo "zombie $!"; echo "main $$"; exec sleep 30'], jobId, ['main', 'zombie']);
    const zombie = pids.get('zombie') as number;
    await waitFor(() => processState(zombie) === 'Z', 5_000, 'the zombie');
    expect(await isJobProcessAlive(jobId, zombie)).toBe(false);
    expect(await isJobProcessAlive(jobId, pids.get('main') as number)).toBe(true);
    expect((await findJobProcesses(jobId)).map((p) => p.pid)).not.toContain(zombie);
  });
});
