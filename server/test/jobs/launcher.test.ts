import { execa } from 'execa';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const LAUNCHER = fileURLToPath(new URL('../../src/jobs/launcher.sh', import.meta.url));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'anana-launcher-'));
  await writeFile(path.join(dir, 'not-executable'), '#!/bin/sh\necho hi\n');
  await chmod(path.join(dir, 'not-executable'), 0o644);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function launch(argv: string[]) {
  const exitFile = path.join(dir, `exit-${Math.random().toString(36).slice(2)}.json`);
  const result = await execa('/bin/sh', [LAUNCHER, exitFile, ...argv], { reject: false });
  return { result, record: JSON.parse(await readFile(exitFile, 'utf8')) };
}

describe('the job launcher', () => {
  it.each([
    ['exit 0', ['sh', '-c', 'exit 0'], { exitCode: 0, signal: null }],
    ['exit 3', ['sh', '-c', 'exit 3'], { exitCode: 3, signal: null }],
    ['killed by SIGKILL', ['sh', '-c', 'kill -9 $$'], { exitCode: null, signal: 'SIGKILL' }],
    ['killed by SIGSEGV', ['sh', '-c', 'kill -SEGV $$'], { exitCode: null, signal: 'SIGSEGV' }],
  ])('records %s', async (_name, argv, expected) => {
    const { record } = await launch(argv);
    expect(record).toMatchObject(expected);
    // To the millisecond (GNU date has %N): a job of a few milliseconds must not end before it started.
    expect(record.finishedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Math.abs(Date.parse(record.finishedAt) - Date.now())).toBeLessThan(5_000);
  });

  it.each([
    ['a missing file', () => path.join(dir, 'missing'), /could not start .*missing: ENOENT/],
    ['a command not on PATH', () => 'anana-no-such-command', /could not start anana-no-such-command: ENOENT/],
    ['a file that is not executable', () => path.join(dir, 'not-executable'), /could not start .*not-executable: EACCES/],
    ['a directory', () => dir, /EACCES/],
  ])('records why it could not start %s, as JSON', async (_name, command, message) => {
    const { result, record } = await launch([command(), '--arg', 'with "quotes"']);
    expect(result.exitCode).toBe(127);
    expect(record.exitCode).toBe(127);
    expect(record.error).toMatch(message);
    expect(result.stderr).toMatch(message);
  });

  it('passes arguments through unchanged, never as a shell string', async () => {
    const args = ['$(touch pwned)', 'a b', '"q"', "'", '*', ''];
    const result = await execa('/bin/sh', [LAUNCHER, path.join(dir, 'args.json'), process.execPath, '-e', 'console.log(JSON.stringify(process.argv.slice(1)))', ...args], { cwd: dir });
    expect(JSON.parse(result.stdout)).toEqual(args);
  });

  it('outlives a SIGTERM to its group and records how the command then ended', async () => {
    const exitFile = path.join(dir, 'term.json');
    const child = execa('/bin/sh', [LAUNCHER, exitFile, 'sh', '-c', 'trap "sleep 0.2; exit 5" TERM; echo ready; sleep 5 & wait'], { detached: true, reject: false });
    await new Promise<void>((resolve) => child.stdout!.on('data', (chunk: Buffer) => chunk.includes('ready') && resolve()));
    process.kill(-child.pid!, 'SIGTERM');
    const result = await child;
    expect(result.exitCode).toBe(5);
    expect(JSON.parse(await readFile(exitFile, 'utf8'))).toMatchObject({ exitCode: 5, signal: null });
  });

  it('does not hand ignored signals down to the command', async () => {
    const { result } = await launch(['sh', '-c', 'grep SigIgn /proc/$$/status']);
    expect(result.stdout.trim()).toBe('SigIgn:\t0000000000000000');
  });
});
