import { watch, type FSWatcher } from 'node:fs';

/**
 * Wakes a polling reader as soon as a file it follows is written to (inotify on Linux), so that a job's first
 * line reaches subscribers without waiting out a poll interval. Where watching is not supported (some network
 * filesystems), sleeps simply last their full interval: the poll stays the guarantee, the watch only speeds it up.
 */
export class WriteWatch {
  readonly #watchers: FSWatcher[] = [];
  #wake: (() => void) | undefined;
  /** A write seen while nobody slept: the next sleep returns at once, so no write is missed between read and sleep. */
  #pending = false;

  constructor(files: string[]) {
    for (const file of files) {
      try {
        const watcher = watch(file, { persistent: false }, () => this.#notify());
        watcher.on('error', () => watcher.close());
        this.#watchers.push(watcher);
      } catch {
        // Not watchable here: polling alone.
      }
    }
  }

  /** Resolves after `ms`, or at the first write to a watched file, whichever comes first. */
  sleep(ms: number): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#wake?.(), ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }

  close(): void {
    for (const watcher of this.#watchers) watcher.close();
    this.#wake?.();
  }

  #notify(): void {
    if (this.#wake) this.#wake();
    else this.#pending = true;
  }
}
