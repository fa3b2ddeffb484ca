import { hubLibrary, type HubLibrary } from './hub-library.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkToken, type HubConfig } from './config.ts';
import { HubError, hubStatus, toHubError } from './errors.ts';

/** The job states of the control plane that a cloud job maps onto. */
export type CloudJobStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'STOPPED';

export interface JobsTarget {
  url: string;
  token: string;
  /** User or organisation the jobs run under (and are billed to); asked from the token (whoami) when absent. */
  namespace?: string;
}

export interface CloudJobSpec {
  /** Hardware flavor, e.g. `cpu-basic`, `t4-small`, `a10g-large` (see {@link JobsClient.listHardwareFlavors}). */
  flavor: string;
  /** Docker image (`python:3.12`), or a Space as `hf.co/spaces/owner/name`. */
  image: string;
  /** Argument vector, never a shell string. */
  command: string[];
  env?: Record<string, string>;
  /** Encrypted by the Hub and only visible to the job (e.g. an HF_TOKEN that lets it push its results). */
  secrets?: Record<string, string>;
  timeoutSeconds?: number;
  labels?: Record<string, string>;
}

export interface CloudJobInfo {
  id: string;
  status: CloudJobStatus;
  /** The Hub's own stage, e.g. `RUNNING`, `COMPLETED`, `ERROR`, `CANCELED`. */
  stage: string;
  /** The Hub's explanation, typically set when the job failed. */
  message: string | null;
  flavor: string;
}

export interface HardwareFlavor {
  name: string;
  prettyName: string;
  cpu: string;
  ram: string;
  /** e.g. "1x Nvidia A10G (24 GB)"; null for CPU-only flavors. */
  accelerator: string | null;
  /** USD per hour, converted from the Hub's per-unit price. */
  pricePerHour: number;
  /** The unit the Hub bills in (`minute`), with its price in USD. */
  unitLabel: string;
  unitCostUsd: number;
}

/** A log line of a cloud job; `index` counts the job's lines from 0 and identifies the line across reconnects. */
export interface CloudLogLine {
  index: number;
  text: string;
  time: Date;
}

export interface StreamLogsOptions {
  signal?: AbortSignal;
  /** Index of the last line the caller already has; lines up to it are not delivered again. Default -1. */
  afterIndex?: number;
}

export interface JobsClient {
  runCloudJob(spec: CloudJobSpec): Promise<{ id: string }>;
  cloudJobStatus(id: string): Promise<CloudJobInfo>;
  cancelCloudJob(id: string): Promise<CloudJobInfo>;
  listHardwareFlavors(): Promise<HardwareFlavor[]>;
  streamCloudJobLogs(id: string, opts?: StreamLogsOptions): AsyncIterable<CloudLogLine>;
}

export interface JobsClientOptions {
  fetch?: typeof fetch;
  /** First delay before reconnecting a dropped log stream; doubles per failed attempt up to 5 s (default 250 ms). */
  reconnectDelayMs?: number;
  /** Consecutive reconnects without a new line before giving up with UPSTREAM (default 8). */
  maxReconnects?: number;
  /** Silence on an open log stream after which the job's status is checked (default 30 s). */
  idleCheckMs?: number;
}

/**
 * Maps the Hub's job stage onto the control plane's states. The Hub reports RUNNING from acceptance until the end
 * (COMPLETED, ERROR, CANCELED, DELETED); stages it may add for waiting jobs map to QUEUED, and anything unknown
 * counts as still running, so a new stage never ends a job early.
 */
export function mapJobStage(stage: string): CloudJobStatus {
  switch (stage) {
    case 'COMPLETED':
      return 'SUCCEEDED';
    case 'ERROR':
      return 'FAILED';
    case 'CANCELED':
    case 'CANCELLED':
    case 'DELETED':
    case 'DELETING':
    case 'STOPPED':
    case 'PAUSED':
      return 'STOPPED';
    case 'QUEUED':
    case 'PENDING':
    case 'SCHEDULING':
      return 'QUEUED';
    default:
      return 'RUNNING';
  }
}

/**
 * Whether retrying can help: the network failing or the Hub failing (5xx, 429) can pass; a refusal (token,
 * missing job, bad request) will not.
 */
function isTransient(error: unknown): boolean {
  const status = hubStatus(error) ?? (error instanceof HubError ? (error.details?.status as number | undefined) : undefined);
  return status === undefined || status >= 500 || status === 429;
}

const TERMINAL = new Set<CloudJobStatus>(['SUCCEEDED', 'FAILED', 'STOPPED']);

/** Whether a job in this state will not change any more (and its log is complete). */
export function isTerminal(status: CloudJobStatus): boolean {
  return TERMINAL.has(status);
}

/** The Hub's own first line of every job log, not output of the job. */
const BANNER = /^===== Job started/;

type ApiJob = Awaited<ReturnType<HubLibrary['getJob']>>;

const SPACE_PREFIX = /^(https:\/\/)?(huggingface\.co|hf\.co)\/spaces\//;

function jobsTargetOf(hub: JobsTarget | HubConfig): JobsTarget {
  if ('configured' in hub) {
    if (!hub.token) throw new HubError('NOT_CONFIGURED', 'Hugging Face Jobs are not configured: set HF_TOKEN to a token allowed to run jobs', { missing: ['HF_TOKEN'] });
    return { url: hub.url, token: hub.token, namespace: hub.jobsNamespace };
  }
  return hub;
}

/**
 * A client for Hugging Face Jobs bound to one Hub and token, over @huggingface/hub's jobs API. Throws
 * NOT_CONFIGURED when given a configuration without token.
 */
export function createJobsClient(hub: JobsTarget | HubConfig, opts: JobsClientOptions = {}): JobsClient {
  const target = jobsTargetOf(hub);
  checkToken(target.token);
  const call = { hubUrl: target.url, accessToken: target.token, ...(opts.fetch && { fetch: opts.fetch }) };
  const baseFetch = opts.fetch ?? fetch;
  let namespace: Promise<string> | undefined;

  const ns = () =>
    (namespace ??= target.namespace
      ? Promise.resolve(target.namespace)
      : hubLibrary().then((hub) => hub.whoAmI(call)).then(
          (me) => me.name,
          (error: unknown) => {
            namespace = undefined;
            throw toHubError('finding the account of HF_TOKEN', error);
          },
        ));

  const info = (job: ApiJob): CloudJobInfo => ({
    id: job.id,
    status: mapJobStage(job.status.stage),
    stage: job.status.stage,
    message: job.status.message ?? null,
    flavor: job.flavor,
  });

  async function cloudJobStatus(id: string): Promise<CloudJobInfo> {
    try {
      return info(await (await hubLibrary()).getJob({ ...call, namespace: await ns(), jobId: id }));
    } catch (error) {
      throw toHubError(`reading cloud job ${id}`, error);
    }
  }

  async function* streamCloudJobLogs(id: string, { signal, afterIndex = -1 }: StreamLogsOptions = {}): AsyncGenerator<CloudLogLine> {
    const reconnectDelay = opts.reconnectDelayMs ?? 250;
    const maxReconnects = opts.maxReconnects ?? 8;
    const idleCheckMs = opts.idleCheckMs ?? 30_000;
    const jobNamespace = await ns();
    // Dedupe rule. The Hub's log endpoint offers no cursor and its SSE events carry no ids (the client library sends
    // no Last-Event-ID either): every connection replays the job's log from its first line, then follows it live.
    // A line is therefore identified by its position in that replay, the Hub's banner not counted; timestamps
    // cannot serve, since lines printed together share a millisecond. After a drop we reconnect and skip the
    // replayed lines below `delivered`: no line twice, none missing.
    let delivered = afterIndex + 1;
    let terminalSeen = false;
    let failures = 0;

    while (!signal?.aborted) {
      // Once the job is over its log is complete: a connection opened after that and read to its end has it all.
      const finalPass = terminalSeen;
      const connection = new AbortController();
      const onAbort = () => connection.abort();
      signal?.addEventListener('abort', onAbort);
      let lastActivity = Date.now();
      let consumerHolds = false;
      let idleEnded = false;
      // A stream can stay open on keep-alives after the job ended: look at the job when the stream is quiet.
      const watchdog = setInterval(() => {
        if (consumerHolds || Date.now() - lastActivity < idleCheckMs) return;
        lastActivity = Date.now();
        cloudJobStatus(id).then(
          (s) => {
            if (isTerminal(s.status)) {
              terminalSeen = idleEnded = true;
              connection.abort();
            }
          },
          () => undefined,
        );
      }, Math.max(10, Math.floor(idleCheckMs / 2)));
      let outcome: 'end' | 'error' = 'end';
      let progressed = false;
      try {
        let position = 0;
        const lines = (await hubLibrary()).streamJobLogs({
          ...call,
          namespace: jobNamespace,
          jobId: id,
          fetch: (input, init) => baseFetch(input, { ...init, signal: connection.signal }),
        });
        for await (const { message, timestamp } of lines) {
          lastActivity = Date.now();
          if (BANNER.test(message)) continue;
          const index = position++;
          if (index < delivered) continue;
          delivered = index + 1;
          progressed = true;
          consumerHolds = true;
          yield { index, text: message, time: timestamp };
          // Lines already buffered would keep coming without touching the aborted connection.
          if (signal?.aborted) return;
          consumerHolds = false;
          lastActivity = Date.now();
        }
      } catch (error) {
        if (signal?.aborted) return;
        if (!idleEnded) {
          outcome = 'error';
          if (!isTransient(error)) throw toHubError(`streaming the logs of cloud job ${id}`, error);
        }
      } finally {
        clearInterval(watchdog);
        signal?.removeEventListener('abort', onAbort);
        connection.abort();
      }
      if (signal?.aborted) return;
      if (finalPass && outcome === 'end') return;
      if (outcome === 'error') failures = progressed ? 1 : failures + 1;
      else failures = 0;
      if (!terminalSeen) {
        try {
          terminalSeen = isTerminal((await cloudJobStatus(id)).status);
        } catch (error) {
          if (!isTransient(error)) throw error;
          failures++;
        }
      }
      if (failures > maxReconnects) {
        throw new HubError('UPSTREAM', `the log stream of cloud job ${id} dropped ${failures} times in a row without a new line; giving up`);
      }
      // A job still running whose stream ended, or a stream that failed: wait a little before asking again.
      if (!terminalSeen || failures > 0) {
        await sleep(Math.min(5_000, reconnectDelay * 2 ** Math.max(0, failures - 1)), undefined, { signal }).catch(() => undefined);
      }
    }
  }

  return {
    async runCloudJob(spec) {
      if (!spec.flavor) throw new HubError('INVALID_INPUT', 'a cloud job needs a hardware flavor, e.g. cpu-basic or a10g-small');
      if (!spec.image) throw new HubError('INVALID_INPUT', 'a cloud job needs a Docker image');
      if (!spec.command.length) throw new HubError('INVALID_INPUT', 'a cloud job needs a command');
      const space = SPACE_PREFIX.test(spec.image) ? spec.image.replace(SPACE_PREFIX, '') : undefined;
      try {
        const job = await (await hubLibrary()).runJob({
          ...call,
          namespace: await ns(),
          flavor: spec.flavor as Parameters<HubLibrary['runJob']>[0]['flavor'],
          ...(space ? { spaceId: space } : { dockerImage: spec.image }),
          command: spec.command,
          environment: spec.env ?? {},
          ...(spec.secrets && Object.keys(spec.secrets).length > 0 && { secrets: spec.secrets }),
          ...(spec.timeoutSeconds !== undefined && { timeoutSeconds: spec.timeoutSeconds }),
          ...(spec.labels && { labels: spec.labels }),
        });
        return { id: job.id };
      } catch (error) {
        throw toHubError(`starting a cloud job on ${spec.flavor}`, error);
      }
    },

    cloudJobStatus,

    async cancelCloudJob(id) {
      try {
        return info(await (await hubLibrary()).cancelJob({ ...call, namespace: await ns(), jobId: id }));
      } catch (error) {
        throw toHubError(`cancelling cloud job ${id}`, error);
      }
    },

    async listHardwareFlavors() {
      try {
        const hardware = await (await hubLibrary()).listJobHardware(call);
        return hardware.map((h) => ({
          name: h.name,
          prettyName: h.prettyName,
          cpu: h.cpu,
          ram: h.ram,
          accelerator: h.accelerator ? `${h.accelerator.quantity}x ${h.accelerator.manufacturer} ${h.accelerator.model} (${h.accelerator.vram})` : null,
          pricePerHour: pricePerHour(h.unitCostUSD, h.unitLabel),
          unitLabel: h.unitLabel,
          unitCostUsd: h.unitCostUSD,
        }));
      } catch (error) {
        throw toHubError('listing the hardware of Hugging Face Jobs', error);
      }
    },

    streamCloudJobLogs,
  };
}

const UNITS_PER_HOUR: Record<string, number> = { second: 3600, minute: 60, hour: 1 };

/** Hourly price from the Hub's per-unit price, rounded to a hundredth of a cent. */
export function pricePerHour(unitCostUsd: number, unitLabel: string): number {
  return Math.round(unitCostUsd * (UNITS_PER_HOUR[unitLabel] ?? 1) * 10_000) / 10_000;
}
