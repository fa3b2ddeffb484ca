import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { NO_FILTERS, openSchemaEngine, readMigrationList } from './schema-engine.ts';

/**
 * Applies the committed migrations like `prisma migrate deploy`, through the WebAssembly engine.
 * Idempotent: already-applied migrations (recorded in `_prisma_migrations`) are skipped.
 */
export async function applyMigrations(factory: SqlMigrationAwareDriverAdapterFactory): Promise<string[]> {
  const engine = await openSchemaEngine(factory);
  try {
    const migrationsList = await readMigrationList();
    const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList, filters: NO_FILTERS });
    return appliedMigrationNames;
  } finally {
    engine.free();
  }
}
