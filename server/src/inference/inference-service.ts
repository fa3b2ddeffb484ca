import type { Services } from '../services.ts';

/** Placeholder: being written (analyze/validate/diagnostics wiring). */
export class InferenceService {
  constructor(readonly services: Services) {}
  async start(): Promise<void> {}
  async close(): Promise<void> {}
}
