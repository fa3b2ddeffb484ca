import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import pg from 'pg';
import WebSocket from 'ws';
import { buildApp, type App } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config/config.ts';

/** Which storage the suite runs against: CI runs everything twice, embedded and PostgreSQL. */
export const TEST_DATABASE = process.env.ANANA_TEST_DATABASE === 'postgres' ? 'postgres' : 'embedded';
export const ADMIN_URL = process.env.ANANA_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Creates an empty PostgreSQL database for one test file; the returned function drops it. */
export async function createScratchDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `anana_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: ADMIN_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

export interface GraphQLResponse<T = any> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string; [k: string]: unknown } }[];
}

export interface TestServer {
  app: App;
  url: string;
  config: Config;
  resultsDir: string;
  gql<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
  wsClient(connectionParams?: Record<string, unknown>): Client;
  close(): Promise<void>;
}

export interface TestServerOptions {
  env?: Record<string, string>;
  /** Reuse a results directory / database (restart scenarios). */
  resultsDir?: string;
  databaseUrl?: string;
  keepData?: boolean;
}

/** A real server on a free port against a fresh database (embedded or PostgreSQL, per TEST_DATABASE). */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const resultsDir = options.resultsDir ?? (await mkdtemp(path.join(tmpdir(), 'anana-test-')));
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | undefined;
  let databaseUrl = options.databaseUrl;
  if (!databaseUrl && TEST_DATABASE === 'postgres') {
    scratch = await createScratchDatabase();
    databaseUrl = scratch.url;
  }
  const config = loadConfig(
    {
      PORT: '0',
      HOST: '127.0.0.1',
      ANANA_RESULTS_DIR: resultsDir,
      ANANA_SERVE_WEB: 'false',
      ANANA_LOG_LEVEL: 'error',
      ANANA_STOP_GRACE_MS: '2000',
      ...(databaseUrl && { DATABASE_URL: databaseUrl }),
      ...options.env,
    },
    [],
  );
  const app = await buildApp(config);
  const url = await app.start();
  const clients: Client[] = [];
  return {
    app,
    url,
    config,
    resultsDir,
    async gql(query, variables, headers = {}) {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as GraphQLResponse;
    },
    wsClient(connectionParams) {
      const client = createClient({ url: `${url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams, retryAttempts: 0, lazy: true });
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) await client.dispose();
      // Jobs outlive a server by design; a test's jobs must not outlive the test.
      if (!options.keepData) await stopActiveJobs(app);
      await app.stop();
      if (!options.keepData) {
        await scratch?.drop();
        if (!options.resultsDir) await rm(resultsDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
      }
    },
  };
}

async function stopActiveJobs(app: App): Promise<void> {
  const active = await app.services.db.prisma.job.findMany({ where: { status: { in: ['QUEUED', 'RUNNING'] } }, select: { id: true } }).catch(() => []);
  await Promise.all(active.map((job) => app.services.jobs.stop(job.id).catch(() => {})));
}

/** Collects the results of a graphql-ws subscription until `until` says stop (or the server completes it). */
export function collectSubscription<T>(client: Client, query: string, variables: Record<string, unknown>, until: (items: T[]) => boolean, timeoutMs = 30_000): Promise<T[]> {
  const items: T[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      dispose();
      reject(new Error(`subscription timed out after ${timeoutMs} ms with ${items.length} results`));
    }, timeoutMs);
    const dispose = client.subscribe<T>(
      { query, variables },
      {
        next: (result) => {
          if (result.errors) {
            clearTimeout(timer);
            dispose();
            reject(new Error(JSON.stringify(result.errors)));
            return;
          }
          items.push(result.data as T);
          if (until(items)) {
            clearTimeout(timer);
            dispose();
            resolve(items);
          }
        },
        error: (error) => {
          clearTimeout(timer);
          // A close event (e.g. 4403) is passed on as it is, so tests can check its code.
          reject(error instanceof Error || (error && typeof error === 'object' && 'code' in error) ? error : new Error(JSON.stringify(error)));
        },
        complete: () => {
          clearTimeout(timer);
          resolve(items);
        },
      },
    );
  });
}

/** Polls until `check` returns a truthy value. */
export async function waitFor<T>(check: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
