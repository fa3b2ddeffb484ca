import { buildApp } from './app.ts';
import { ConfigError, loadConfig } from './config/config.ts';
import { tuneGarbageCollector } from './gc-tuning.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) console.error(`Invalid configuration: ${problem}`);
      process.exit(2);
    }
    throw error;
  }
  tuneGarbageCollector(config.heapGrowingPercent);
  const app = await buildApp(config);
  const url = await app.start();
  const storage = config.databaseUrl ? 'PostgreSQL' : `embedded PGlite in ${config.resultsDir}/db`;
  console.log(`Anana Control Plane ${app.services.version} listening on ${url.replace('127.0.0.1', config.host === '0.0.0.0' ? 'localhost' : config.host)} (GraphiQL at /graphql, storage: ${storage})`);

  let signals = 0;
  const shutdown = (signal: string) => {
    signals += 1;
    if (signals > 1) {
      console.error(`Second ${signal}: exiting now.`);
      process.exit(1);
    }
    console.log(`${signal} received: shutting down gracefully`);
    app.stop().then(
      () => process.exit(0),
      (error) => {
        console.error('Shutdown failed:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error) => {
  console.error('Fatal:', error);
  process.exit(1);
});
