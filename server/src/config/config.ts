import { hostname } from 'node:os';
import path from 'node:path';
import { DEFAULT_HEAP_GROWING_PERCENT } from '../gc-tuning.ts';

export const PROJECT_ROOT = path.resolve(new URL('../../..', import.meta.url).pathname);

/** The trainer shipped in `examples/`, run with the same Node and tsx as the server. */
export const DEFAULT_TRAIN_CMD = [process.execPath, '--import', 'tsx', 'examples/trainer/main.ts'];

export interface Config {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  resultsDir: string;
  trainCmd: string[];
  maxConcurrentJobs: number;
  stopGraceMs: number;
  apiToken: string | undefined;
  corsOrigins: string[] | undefined;
  maxBodyBytes: number;
  maxUploadBytes: number;
  queryDepthLimit: number;
  hfToken: string | undefined;
  hfEndpoint: string;
  hubRepo: string | undefined;
  syncIntervalMs: number;
  workerMode: boolean;
  workerFlavors: string[] | undefined;
  heartbeatMs: number;
  heartbeatTimeoutMs: number;
  redisUrl: string | undefined;
  instanceId: string | undefined;
  /** The machine name recorded on jobs: a job is re-attached only by a server on the same machine. */
  hostName: string;
  serveWeb: boolean;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** V8's heap growing factor in percent for the server process (0: V8's own choice); see gc-tuning.ts. */
  heapGrowingPercent: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

type Env = Record<string, string | undefined>;

class Invalid {
  constructor(readonly message: string) {}
}
const invalid = (message: string) => new Invalid(message);

/** Reads and validates the whole configuration; every bad value is reported as one line naming its variable. */
export function loadConfig(env: Env = process.env, argv: string[] = process.argv.slice(2)): Config {
  const problems: string[] = [];
  const read = <T>(name: string, fallback: T, parse: (raw: string) => T | Invalid): T => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const parsed = parse(raw);
    if (parsed instanceof Invalid) {
      problems.push(`${name}: ${parsed.message} (got ${JSON.stringify(raw)})`);
      return fallback;
    }
    return parsed;
  };
  const int = (min: number, max: number) => (raw: string) => {
    const n = Number(raw);
    return Number.isInteger(n) && n >= min && n <= max ? n : invalid(`must be an integer from ${min} to ${max}`);
  };
  const optionalString = (name: string) => env[name] || undefined;

  const port = read('PORT', 4000, int(0, 65535));
  const databaseUrl = read<string | undefined>('DATABASE_URL', undefined, (raw) =>
    /^postgres(ql)?:\/\//.test(raw) ? raw : invalid('must be a postgres:// or postgresql:// URL'),
  );
  const trainCmd = read('ANANA_TRAIN_CMD', DEFAULT_TRAIN_CMD, (raw) => {
    try {
      const value: unknown = JSON.parse(raw);
      if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' && v.length > 0)) return value as string[];
    } catch {
      // fall through to the message below
    }
    return invalid('must be a non-empty JSON array of strings, e.g. ["python","train.py"]');
  });
  const hfEndpoint = read('HF_ENDPOINT', 'https://huggingface.co', (raw) => (/^https?:\/\/[^\s]+$/.test(raw) ? raw.replace(/\/+$/, '') : invalid('must be an http(s) URL')));
  const hfToken = read<string | undefined>('HF_TOKEN', undefined, (raw) => (raw.startsWith('hf_') ? raw : invalid('must start with hf_')));
  const hubRepo = read<string | undefined>('ANANA_HUB_REPO', undefined, (raw) =>
    /^(datasets\/|spaces\/)?[\w.-]+\/[\w.-]+$/.test(raw) ? raw : invalid('must look like owner/name (optionally datasets/owner/name)'),
  );
  const corsOrigins = read<string[] | undefined>('ANANA_CORS_ORIGINS', undefined, (raw) => raw.split(',').map((s) => s.trim()).filter(Boolean));
  const workerFlavors = read<string[] | undefined>('ANANA_WORKER_FLAVORS', undefined, (raw) => raw.split(',').map((s) => s.trim()).filter(Boolean));
  const redisUrl = read<string | undefined>('REDIS_URL', undefined, (raw) => (/^rediss?:\/\//.test(raw) ? raw : invalid('must be a redis:// URL')));
  const logLevel = read<Config['logLevel']>('ANANA_LOG_LEVEL', 'info', (raw) =>
    ['debug', 'info', 'warn', 'error'].includes(raw) ? (raw as Config['logLevel']) : invalid('must be one of debug, info, warn, error'),
  );
  const serveWeb = read('ANANA_SERVE_WEB', true, (raw) => (raw === 'true' || raw === '1' ? true : raw === 'false' || raw === '0' ? false : invalid('must be true or false')));
  const resultsDir = path.resolve(PROJECT_ROOT, env.ANANA_RESULTS_DIR || '.anana-results');

  const config: Config = {
    port,
    host: env.HOST || '0.0.0.0',
    databaseUrl,
    resultsDir,
    trainCmd,
    maxConcurrentJobs: read('ANANA_MAX_CONCURRENT_JOBS', 1, int(0, 1024)),
    stopGraceMs: read('ANANA_STOP_GRACE_MS', 10_000, int(0, 3_600_000)),
    apiToken: optionalString('ANANA_API_TOKEN'),
    corsOrigins,
    maxBodyBytes: read('ANANA_MAX_BODY_BYTES', 1_000_000, int(1024, 1_000_000_000)),
    maxUploadBytes: read('ANANA_MAX_UPLOAD_BYTES', 20_000_000, int(1024, 1_000_000_000)),
    queryDepthLimit: read('ANANA_MAX_QUERY_DEPTH', 12, int(2, 100)),
    hfToken,
    hfEndpoint,
    hubRepo,
    syncIntervalMs: read('ANANA_SYNC_INTERVAL_MS', 0, int(0, 86_400_000)),
    workerMode: argv.includes('--worker') || env.ANANA_WORKER === '1',
    workerFlavors,
    heartbeatMs: read('ANANA_HEARTBEAT_MS', 2_000, int(100, 600_000)),
    heartbeatTimeoutMs: read('ANANA_HEARTBEAT_TIMEOUT_MS', 10_000, int(300, 3_600_000)),
    redisUrl,
    instanceId: optionalString('ANANA_INSTANCE_ID'),
    hostName: env.ANANA_HOSTNAME || hostname(),
    serveWeb,
    logLevel,
    heapGrowingPercent: read('ANANA_HEAP_GROWING_PERCENT', DEFAULT_HEAP_GROWING_PERCENT, int(0, 1000)),
  };
  if (config.workerMode && !config.databaseUrl) problems.push('DATABASE_URL: worker mode needs the PostgreSQL server the API replicas use');
  if (config.heartbeatTimeoutMs <= config.heartbeatMs) problems.push('ANANA_HEARTBEAT_TIMEOUT_MS: must be greater than ANANA_HEARTBEAT_MS');
  if (problems.length) throw new ConfigError(problems);
  return config;
}
