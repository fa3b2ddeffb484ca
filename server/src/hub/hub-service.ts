import type { Services } from '../services.ts';

/** Placeholder: being written (sync and cloud jobs wiring). */
export class HubService {
  constructor(readonly services: Services) {}
  async start(): Promise<void> {}
  async close(): Promise<void> {}
}
