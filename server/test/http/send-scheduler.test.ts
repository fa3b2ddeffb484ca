import { describe, expect, it } from 'vitest';
import { SendScheduler } from '../../src/http/send-scheduler.ts';

const busy = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

describe('SendScheduler', () => {
  it('runs sends at once while the turn has budget left', () => {
    const scheduler = new SendScheduler(50);
    const done: number[] = [];
    for (let i = 0; i < 10; i++) scheduler.run(() => done.push(i));
    expect(done).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('keeps the order and lets timers and I/O run between slices once the budget of a turn is spent', async () => {
    const scheduler = new SendScheduler(5);
    const order: string[] = [];
    let timerFiredAfter = -1;
    setTimeout(() => (timerFiredAfter = order.length), 0);
    for (let i = 0; i < 40; i++) {
      scheduler.run(() => {
        busy(1);
        order.push(`s${i}`);
      });
    }
    // The first ~5 ran in this turn, the rest wait.
    expect(order.length).toBeGreaterThan(0);
    expect(order.length).toBeLessThan(40);
    expect(scheduler.queued).toBe(40 - order.length);
    await new Promise<void>((resolve) => {
      const check = () => (scheduler.queued ? setImmediate(check) : resolve());
      check();
    });
    expect(order).toEqual(Array.from({ length: 40 }, (_, i) => `s${i}`));
    // Without the budget the timer would have fired only after all 40 sends.
    expect(timerFiredAfter).toBeGreaterThan(0);
    expect(timerFiredAfter).toBeLessThan(40);
  });

  it('queues a send behind waiting ones even when a new turn has budget', async () => {
    const scheduler = new SendScheduler(2);
    const order: number[] = [];
    for (let i = 0; i < 5; i++) scheduler.run(() => (busy(1.5), order.push(i)));
    await new Promise((resolve) => setTimeout(resolve, 0));
    scheduler.run(() => order.push(99));
    await new Promise<void>((resolve) => {
      const check = () => (scheduler.queued ? setImmediate(check) : resolve());
      check();
    });
    expect(order).toEqual([0, 1, 2, 3, 4, 99]);
  });

  it('keeps going after a send that throws', async () => {
    const scheduler = new SendScheduler(0);
    const order: number[] = [];
    scheduler.run(() => order.push(1));
    scheduler.run(() => {
      throw new Error('boom');
    });
    scheduler.run(() => order.push(3));
    await new Promise<void>((resolve) => {
      const check = () => (scheduler.queued ? setImmediate(check) : resolve());
      check();
    });
    expect(order).toEqual([1, 3]);
  });
});
