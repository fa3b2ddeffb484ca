import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.ts';
import { readMigrationList } from '../../src/db/schema-engine.ts';
import { createScratchDatabase } from '../support/test-server.ts';

const storages = [
  {
    name: 'embedded PGlite',
    async prepare() {
      const resultsDir = await mkdtemp(path.join(tmpdir(), 'anana-migrate-'));
      return { options: { resultsDir }, cleanup: () => rm(resultsDir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'PostgreSQL',
    async prepare() {
      const scratch = await createScratchDatabase();
      return { options: { resultsDir: tmpdir(), databaseUrl: scratch.url }, cleanup: scratch.drop };
    },
  },
];

describe.each(storages)('migrations on $name', (storage) => {
  it('applies every committed migration to an empty database, then nothing on a second start', async () => {
    const { options, cleanup } = await storage.prepare();
    try {
      const expected = (await readMigrationList()).migrationDirectories.map((d) => d.path);
      expect(expected.length).toBeGreaterThan(0);
      const first = await openDatabase(options);
      expect(first.appliedMigrations).toEqual(expected);
      const job = await first.prisma.job.create({ data: { kind: 'TUNE', command: ['x'] } });
      await first.close();

      const second = await openDatabase(options);
      expect(second.appliedMigrations).toEqual([]);
      const rows = await second.prisma.$queryRawUnsafe<{ migration_name: string; finished_at: Date | null }[]>(
        'SELECT migration_name, finished_at FROM _prisma_migrations ORDER BY migration_name',
      );
      expect(rows.map((r) => r.migration_name)).toEqual(expected);
      expect(rows.every((r) => r.finished_at !== null)).toBe(true);
      expect(await second.prisma.job.findUnique({ where: { id: job.id } })).not.toBeNull();
      await second.close();
    } finally {
      await cleanup();
    }
  });
});
