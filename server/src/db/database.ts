import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.ts';
import { applyMigrations } from './migrate.ts';

export type DatabaseKind = 'embedded' | 'postgres';

export interface Database {
  kind: DatabaseKind;
  prisma: PrismaClient;
  /** Present on PostgreSQL: a plain pool for LISTEN/NOTIFY and bulk statements. */
  pool?: pg.Pool;
  /** Present on the embedded database. */
  pglite?: PGlite;
  appliedMigrations: string[];
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  databaseUrl?: string;
  resultsDir: string;
  /** Skip applying migrations (the caller promises they are applied). */
  migrate?: boolean;
}

/**
 * Opens the configured database and applies pending migrations:
 * PostgreSQL when a URL is given, otherwise the embedded PGlite under `<resultsDir>/db`.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const { factory, kind, pool, pglite } = options.databaseUrl
    ? openPostgres(options.databaseUrl)
    : await openEmbedded(path.join(options.resultsDir, 'db'));
  try {
    const appliedMigrations = options.migrate === false ? [] : await migrate(options.databaseUrl, factory);
    const prisma = new PrismaClient({ adapter: factory });
    return {
      kind,
      prisma,
      pool,
      pglite,
      appliedMigrations,
      async close() {
        await prisma.$disconnect();
        await pool?.end();
        if (pglite && !pglite.closed) await pglite.close();
      },
    };
  } catch (error) {
    await pool?.end();
    await pglite?.close();
    throw error;
  }
}

/**
 * The schema engine takes a session-level advisory lock and releases it later: on PostgreSQL both must run on
 * the same connection, or the lock stays held by a pooled connection and the next replica waits forever.
 */
async function migrate(url: string | undefined, factory: SqlMigrationAwareDriverAdapterFactory): Promise<string[]> {
  if (!url) return applyMigrations(factory);
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    return await applyMigrations(new PrismaPg(pool));
  } finally {
    await pool.end();
  }
}

function openPostgres(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle client losing its server must not crash the process; the next query reports the error.
  pool.on('error', (error) => console.error(`[db] idle client error: ${error.message}`));
  const factory: SqlMigrationAwareDriverAdapterFactory = new PrismaPg(pool);
  return { factory, kind: 'postgres' as const, pool, pglite: undefined };
}

async function openEmbedded(dataDir: string) {
  await mkdir(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir);
  const factory: SqlMigrationAwareDriverAdapterFactory = new PrismaPGlite(pglite);
  return { factory, kind: 'embedded' as const, pool: undefined, pglite };
}
