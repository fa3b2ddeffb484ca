import { ConfigError, loadConfig } from '../config/config.ts';
import { openDatabase } from './database.ts';

/** `npm run migrate`: applies pending migrations to the configured database and exits. */
try {
  const config = loadConfig();
  const db = await openDatabase({ databaseUrl: config.databaseUrl, resultsDir: config.resultsDir });
  console.log(db.appliedMigrations.length ? `Applied: ${db.appliedMigrations.join(', ')}` : 'Database is up to date.');
  await db.close();
} catch (error) {
  if (error instanceof ConfigError) for (const problem of error.problems) console.error(`Invalid configuration: ${problem}`);
  else console.error(error);
  process.exit(1);
}
