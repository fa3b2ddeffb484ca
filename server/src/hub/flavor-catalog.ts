import os from 'node:os';
import type { HardwareFlavor, JobsClient } from './jobs-client.ts';

/** A hardware flavor a job can be started on, with the executor that offers it. */
export interface FlavorOption extends HardwareFlavor {
  executor: 'LOCAL' | 'HF_JOBS';
}

export interface FlavorList {
  /** The local flavor first, then the Hub's (when they could be listed). */
  flavors: FlavorOption[];
  /** Why the Hub's flavors are missing (not configured, unreachable); null when they are listed. */
  error: string | null;
}

/** The Hub's price list changes rarely; a failure is retried sooner, so a Hub that comes back shows up quickly. */
const LISTED_TTL_MS = 5 * 60_000;
const FAILED_TTL_MS = 15_000;

/** What a LOCAL job runs on: this machine, at no cost. */
export function localFlavor(): FlavorOption {
  return {
    name: 'cpu',
    prettyName: 'This machine (CPU)',
    cpu: `${os.availableParallelism()} vCPU`,
    ram: `${Math.round(os.totalmem() / 2 ** 30)} GB`,
    accelerator: null,
    pricePerHour: 0,
    unitLabel: 'hour',
    unitCostUsd: 0,
    executor: 'LOCAL',
  };
}

/**
 * The flavors `hardwareFlavors` offers. Listing never fails: without a usable Hub the local flavor is still there and
 * `error` says why the cloud ones are not, so a console can show the picker and the reason side by side.
 */
export class FlavorCatalog {
  #cached: { at: number; ttl: number; list: FlavorList } | undefined;
  #loading: Promise<FlavorList> | undefined;

  /** `client` throws (NOT_CONFIGURED) when Hugging Face Jobs cannot be used at all. */
  constructor(private readonly client: () => JobsClient) {}

  async list(): Promise<FlavorList> {
    const cached = this.#cached;
    if (cached && Date.now() - cached.at < cached.ttl) return cached.list;
    this.#loading ??= this.#load().finally(() => (this.#loading = undefined));
    return this.#loading;
  }

  /** The Hub's flavor names, or undefined when they cannot be listed now (the caller then cannot check a name). */
  async hubFlavorNames(): Promise<string[] | undefined> {
    const { flavors, error } = await this.list();
    return error ? undefined : flavors.filter((f) => f.executor === 'HF_JOBS').map((f) => f.name);
  }

  async #load(): Promise<FlavorList> {
    let list: FlavorList;
    try {
      const hub = await this.client().listHardwareFlavors();
      list = { flavors: [localFlavor(), ...hub.map((f) => ({ ...f, executor: 'HF_JOBS' as const }))], error: null };
    } catch (error) {
      list = { flavors: [localFlavor()], error: error instanceof Error ? error.message : String(error) };
    }
    this.#cached = { at: Date.now(), ttl: list.error ? FAILED_TTL_MS : LISTED_TTL_MS, list };
    return list;
  }
}
