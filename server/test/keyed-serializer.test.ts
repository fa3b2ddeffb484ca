import { describe, expect, it } from 'vitest';
import { KeyedSerializer } from '../src/keyed-serializer.ts';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('KeyedSerializer', () => {
  it('runs the tasks of a key one after another, in order, even after one fails', async () => {
    const queue = new KeyedSerializer();
    const log: string[] = [];
    const task = (name: string, ms: number, fail = false) => async () => {
      log.push(`${name} start`);
      await tick(ms);
      log.push(`${name} end`);
      if (fail) throw new Error(name);
      return name;
    };
    const results = [queue.run('a', task('a1', 20)), queue.run('a', task('a2', 1, true)), queue.run('a', task('a3', 1))];
    await expect(results[0]).resolves.toBe('a1');
    await expect(results[1]).rejects.toThrow('a2');
    await expect(results[2]).resolves.toBe('a3');
    expect(log).toEqual(['a1 start', 'a1 end', 'a2 start', 'a2 end', 'a3 start', 'a3 end']);
  });

  it('runs different keys side by side, and forgets a key once its last task settles', async () => {
    const queue = new KeyedSerializer();
    const log: string[] = [];
    const slow = queue.run('a', async () => {
      await tick(30);
      log.push('a');
    });
    const quick = queue.run('b', async () => {
      await tick(1);
      log.push('b');
    });
    expect(queue.size).toBe(2);
    await Promise.all([slow, quick]);
    expect(log).toEqual(['b', 'a']);
    await tick(0);
    expect(queue.size).toBe(0);
  });
});
