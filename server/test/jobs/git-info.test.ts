import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitInfo } from '../../src/jobs/git-info.ts';

let repo: string;
const git = (...args: string[]) => execa('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: repo });
const head = async () => (await git('rev-parse', 'HEAD')).stdout.trim();

beforeAll(async () => {
  repo = await mkdtemp(path.join(tmpdir(), 'anana-git-'));
  await git('init', '-q');
  await writeFile(path.join(repo, 'train.py'), 'print(1)\n');
  await git('add', '.');
  await git('commit', '-qm', 'first');
});
afterAll(() => rm(repo, { recursive: true, force: true }));

describe('gitInfo', () => {
  it('sees a commit and an edit made after an earlier job recorded the tree', async () => {
    expect(await gitInfo(repo)).toEqual({ commit: await head(), dirty: false });
    await writeFile(path.join(repo, 'train.py'), 'print(2)\n');
    await git('commit', '-qam', 'second');
    const second = await head();
    await writeFile(path.join(repo, 'train.py'), 'print(3)\n');
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect(await gitInfo(repo)).toEqual({ commit: second, dirty: true });
  });

  it('records no commit outside a repository', async () => {
    const plain = await mkdtemp(path.join(tmpdir(), 'anana-nogit-'));
    try {
      expect(await gitInfo(plain)).toEqual({ commit: null, dirty: false });
    } finally {
      await rm(plain, { recursive: true, force: true });
    }
  });
});
