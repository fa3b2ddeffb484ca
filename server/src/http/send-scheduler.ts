import { performance } from 'node:perf_hooks';

/**
 * Runs sends in order, but at most `budgetMs` of them per turn of the event loop; the rest wait for the next turn.
 * One live batch goes to every subscriber in a single chain of microtasks: at 1,000 sockets and a large batch that
 * blocked the event loop for a second, during which the log follower could not read and database round trips
 * could not complete (so the next batch was larger still). With a budget, I/O runs between slices of the fan-out.
 */
export class SendScheduler {
  readonly #queue: (() => void)[] = [];
  #windowStart: number | undefined;
  #drainScheduled = false;

  constructor(readonly budgetMs = 8) {}

  /** Runs `send` now if this turn's budget allows and nothing is waiting, else after everything queued before it. */
  run(send: () => void): void {
    if (!this.#queue.length && this.#withinBudget()) {
      send();
      return;
    }
    this.#queue.push(send);
    this.#scheduleDrain();
  }

  get queued(): number {
    return this.#queue.length;
  }

  #withinBudget(): boolean {
    const now = performance.now();
    if (this.#windowStart === undefined) {
      // A new window: it ends at the end of this turn (the immediate runs after the I/O of the next poll phase).
      this.#windowStart = now;
      setImmediate(() => {
        this.#windowStart = undefined;
      });
      return true;
    }
    return now - this.#windowStart < this.budgetMs;
  }

  #scheduleDrain(): void {
    if (this.#drainScheduled) return;
    this.#drainScheduled = true;
    setImmediate(() => {
      this.#drainScheduled = false;
      const start = performance.now();
      // At least one per turn, so that a zero budget still makes progress.
      do {
        const send = this.#queue.shift() as () => void;
        try {
          send();
        } catch (error) {
          console.error('[ws] send failed:', error);
        }
      } while (this.#queue.length && performance.now() - start < this.budgetMs);
      if (this.#queue.length) this.#scheduleDrain();
    });
  }
}
