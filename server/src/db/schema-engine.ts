import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bindMigrationAwareSqlAdapterFactory, type SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import * as bg from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { MigrationList, SchemaEngine } from '@prisma/schema-engine-wasm';

export const PRISMA_DIR = fileURLToPath(new URL('../../../prisma/', import.meta.url));
export const SCHEMA_PATH = path.join(PRISMA_DIR, 'schema.prisma');
export const MIGRATIONS_DIR = path.join(PRISMA_DIR, 'migrations');

let wasmReady: Promise<void> | undefined;

/** Loads the WebAssembly schema engine once; no native binary and no download is involved. */
function loadWasm(): Promise<void> {
  wasmReady ??= (async () => {
    const wasmPath = fileURLToPath(import.meta.resolve('@prisma/schema-engine-wasm/schema_engine_bg').replace(/\.js$/, '.wasm'));
    const bytes = await readFile(wasmPath);
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': bg as unknown as WebAssembly.ModuleImports });
    const exports = instance.exports as unknown as { __wbindgen_start: () => void };
    (bg as unknown as { __wbg_set_wasm: (e: unknown) => void }).__wbg_set_wasm(instance.exports);
    exports.__wbindgen_start();
  })();
  return wasmReady;
}

/** Wraps `executeScript` so that a failing migration surfaces instead of being recorded as applied (the PGlite adapter does not await it). */
function awaitingScripts(factory: SqlMigrationAwareDriverAdapterFactory): SqlMigrationAwareDriverAdapterFactory {
  const wrapConnect = (connect: () => ReturnType<SqlMigrationAwareDriverAdapterFactory['connect']>) => async () => {
    const adapter = await connect();
    const original = adapter.executeScript.bind(adapter);
    adapter.executeScript = async (script: string) => {
      await original(script);
    };
    return adapter;
  };
  return new Proxy(factory, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if ((prop === 'connect' || prop === 'connectToShadowDb') && typeof value === 'function') return wrapConnect(value.bind(target));
      return value;
    },
  });
}

/** Opens a schema engine bound to a driver adapter; callers must `free()` it. */
export async function openSchemaEngine(factory: SqlMigrationAwareDriverAdapterFactory): Promise<SchemaEngine> {
  await loadWasm();
  const { SchemaEngine } = bg as unknown as { SchemaEngine: typeof import('@prisma/schema-engine-wasm').SchemaEngine };
  const datamodel = await readFile(SCHEMA_PATH, 'utf8');
  const bound = bindMigrationAwareSqlAdapterFactory(awaitingScripts(factory));
  return SchemaEngine.new({ datamodels: [[SCHEMA_PATH, datamodel]] }, () => {}, bound);
}

/** Reads `prisma/migrations` in the shape the schema engine expects. */
export async function readMigrationList(): Promise<MigrationList> {
  const entries = await readdir(MIGRATIONS_DIR, { withFileTypes: true }).catch(() => []);
  const dirs = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const migrationDirectories = await Promise.all(
    dirs.map(async (dir) => ({
      path: dir,
      migrationFile: {
        path: 'migration.sql',
        content: await readFile(path.join(MIGRATIONS_DIR, dir, 'migration.sql'), 'utf8').then(
          (value) => ({ tag: 'ok' as const, value }),
          (error: Error) => ({ tag: 'error' as const, value: error.message }),
        ),
      },
    })),
  );
  return {
    baseDir: MIGRATIONS_DIR,
    lockfile: { path: 'migration_lock.toml', content: 'provider = "postgresql"\n' },
    shadowDbInitScript: '',
    migrationDirectories,
  };
}

export const NO_FILTERS = { externalTables: [], externalEnums: [] };
