import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { PROJECT_ROOT } from '../../src/config/config.ts';
import type { GraphQLResponse } from './test-server.ts';

/**
 * The real server as a separate OS process (`node --import tsx server/src/main.ts`), for what an in-process
 * server cannot show: a kill -9 of the server while jobs run, and a restart on the same storage.
 */
export interface ServerProcess {
  url: string;
  pid: number;
  gql<T = any>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>>;
  /** SIGKILL (no shutdown code runs) and wait until the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM (graceful shutdown) and wait until the process is gone. */
  stop(): Promise<void>;
  /** What the process printed, for failure messages. */
  output(): string;
}

export interface ServerProcessOptions {
  resultsDir: string;
  /** PostgreSQL URL; without one the server uses the embedded database under `resultsDir`. */
  databaseUrl?: string;
  env?: Record<string, string>;
  startTimeoutMs?: number;
}

/** A free TCP port on 127.0.0.1 (PORT=0 would work, but then the parent could not tell which port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function childEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    // The test runner's own variables would make the child think it is a test worker.
    if (!name.startsWith('VITEST') && !name.startsWith('TINYPOOL') && name !== 'NODE_OPTIONS' && name !== 'DATABASE_URL' && name !== 'ANANA_JOB_ID') env[name] = value;
  }
  return { ...env, ...extra };
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    cwd: PROJECT_ROOT,
    env: childEnvironment({
      PORT: String(port),
      HOST: '127.0.0.1',
      ANANA_RESULTS_DIR: options.resultsDir,
      ANANA_SERVE_WEB: 'false',
      ANANA_LOG_LEVEL: 'error',
      ...(options.databaseUrl && { DATABASE_URL: options.databaseUrl }),
      ...options.env,
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-64 * 1024);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const url = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the server exited during start-up (${child.exitCode ?? child.signalCode}):\n${output}`);
    const healthy = await fetch(`${url}/healthz`)
      .then((res) => res.ok)
      .catch(() => false);
    if (healthy) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the server did not answer /healthz in time:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    url,
    pid: child.pid as number,
    async gql(query, variables) {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as GraphQLResponse;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
    },
    output: () => output,
  };
}
