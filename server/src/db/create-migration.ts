import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { MIGRATIONS_DIR, NO_FILTERS, SCHEMA_PATH, openSchemaEngine, readMigrationList } from './schema-engine.ts';

/**
 * Writes a new migration for the difference between the committed migrations and `schema.prisma`,
 * computed against a scratch in-memory PGlite (`prisma migrate dev` needs a native engine that cannot be downloaded here).
 * Usage: npm run migration:create -- <name>
 */
async function main(): Promise<void> {
  const name = (process.argv[2] ?? 'change').replace(/[^a-z0-9_]/gi, '_');
  const pglite = new PGlite();
  const engine = await openSchemaEngine(new PrismaPGlite(pglite));
  try {
    const list = await readMigrationList();
    const result = await engine.diff({
      from: { tag: 'migrations', ...list },
      to: { tag: 'schemaDatamodel', files: [{ path: SCHEMA_PATH, content: await readFile(SCHEMA_PATH, 'utf8') }] },
      script: true,
      exitCode: true,
      filters: NO_FILTERS,
    });
    if (result.exitCode !== 2 || !result.stdout) {
      console.log('No schema changes.');
      return;
    }
    const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
    const dir = path.join(MIGRATIONS_DIR, `${stamp}_${name}`);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'migration.sql'), result.stdout);
    await writeFile(path.join(MIGRATIONS_DIR, 'migration_lock.toml'), 'provider = "postgresql"\n');
    console.log(`Wrote ${path.relative(process.cwd(), dir)}/migration.sql`);
  } finally {
    engine.free();
    await pglite.close();
  }
}

await main();
