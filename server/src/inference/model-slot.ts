import { InferenceError } from './errors.ts';
import { modelPaths, type ModelRef } from './model-spec.ts';
import type { LoadedModel, SessionCache, SessionLease } from './session-cache.ts';

/**
 * The model a role (such as "production") currently points at. Switching loads the new model before
 * pointing at it, so requests never wait on a load and a model that fails to load never replaces a
 * working one; the previous session is released once the requests still using it finish.
 */
export class ModelSlot {
  private ref: ModelRef | null;
  private switching: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly sessions: SessionCache,
    initial: ModelRef | null = null,
  ) {
    this.ref = initial;
  }

  get current(): ModelRef | null {
    return this.ref;
  }

  /**
   * Points the slot at another model once that model has loaded.
   * @throws InferenceError MODEL_UNAVAILABLE when it does not load; the slot then keeps its model.
   */
  switchTo(ref: ModelRef): Promise<LoadedModel> {
    // Serialised so that two promotions in quick succession cannot leave the older one in place.
    const next = this.switching.then(async () => {
      const previous = this.ref;
      const loaded = await this.sessions.swap(null, modelPaths(ref).modelPath);
      this.ref = ref;
      if (previous) {
        const before = modelPaths(previous).modelPath;
        if (before !== loaded.path) this.sessions.evict(before);
      }
      return loaded;
    });
    this.switching = next.catch(() => undefined);
    return next;
  }

  /**
   * Holds the slot's current model for one request.
   * @throws InferenceError MODEL_UNAVAILABLE when the slot is empty or its model does not load.
   */
  async acquire(): Promise<{ ref: ModelRef; lease: SessionLease }> {
    for (;;) {
      const ref = this.ref;
      if (!ref) throw new InferenceError('MODEL_UNAVAILABLE', 'no model is configured yet: promote a trial or configure a Hub model');
      const lease = await this.sessions.acquire(modelPaths(ref).modelPath);
      if (this.ref === ref) return { ref, lease };
      // The slot moved while we waited; our lookup may have reloaded the model just evicted, so evict it again.
      lease.release();
      const stale = modelPaths(ref).modelPath;
      if (!this.ref || modelPaths(this.ref).modelPath !== stale) this.sessions.evict(stale);
    }
  }
}
