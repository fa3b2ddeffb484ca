import { existsSync, readFileSync } from 'node:fs';
import type { CodegenConfig } from '@graphql-codegen/cli';
import { Kind, parse, print, type DefinitionNode, type DocumentNode } from 'graphql';

const COMMITTED_SCHEMA = 'schema.graphql';
/** API the console is built against before the server has it; see web/schema.pending.graphql. */
const PENDING_SCHEMA = 'web/schema.pending.graphql';

const ROOT_TYPES = new Set(['Query', 'Mutation', 'Subscription']);

/**
 * The committed schema, plus whatever part of the pending API it does not define yet:
 * pending types whose name is free, and pending root fields whose name is free.
 * Once the server ships a name, its committed definition wins and the documents are checked against it.
 */
function schemaWithPendingApi(): string {
  const committedSdl = readFileSync(COMMITTED_SCHEMA, 'utf8');
  if (!existsSync(PENDING_SCHEMA)) return committedSdl;
  const committed = parse(committedSdl);
  const typeNames = new Set<string>();
  const rootFields = new Map<string, Set<string>>();
  for (const definition of committed.definitions) {
    if (!('name' in definition) || !definition.name) continue;
    typeNames.add(definition.name.value);
    if ((definition.kind === Kind.OBJECT_TYPE_DEFINITION || definition.kind === Kind.OBJECT_TYPE_EXTENSION) && ROOT_TYPES.has(definition.name.value)) {
      const fields = rootFields.get(definition.name.value) ?? new Set<string>();
      for (const field of definition.fields ?? []) fields.add(field.name.value);
      rootFields.set(definition.name.value, fields);
    }
  }
  const borrowed: string[] = [];
  const extra: DefinitionNode[] = [];
  for (const definition of parse(readFileSync(PENDING_SCHEMA, 'utf8')).definitions) {
    if (definition.kind === Kind.OBJECT_TYPE_EXTENSION && ROOT_TYPES.has(definition.name.value)) {
      const known = rootFields.get(definition.name.value) ?? new Set();
      const fields = (definition.fields ?? []).filter((field) => !known.has(field.name.value));
      if (!fields.length) continue;
      borrowed.push(...fields.map((field) => `${definition.name.value}.${field.name.value}`));
      extra.push(known.size ? { ...definition, fields } : { ...definition, kind: Kind.OBJECT_TYPE_DEFINITION, fields });
    } else if ('name' in definition && definition.name && !typeNames.has(definition.name.value)) {
      borrowed.push(definition.name.value);
      extra.push(definition);
    }
  }
  if (!borrowed.length) return committedSdl;
  console.warn(`codegen: ${COMMITTED_SCHEMA} lacks ${borrowed.length} pending definitions, taken from ${PENDING_SCHEMA}: ${borrowed.join(', ')}`);
  return `${committedSdl}\n${print({ kind: Kind.DOCUMENT, definitions: extra } satisfies DocumentNode)}\n`;
}

const config: CodegenConfig = {
  schema: schemaWithPendingApi(),
  documents: ['web/src/**/*.{ts,tsx}', '!web/src/gql/**'],
  ignoreNoDocuments: false,
  generates: {
    'web/src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string', JSON: 'unknown', BigInt: 'number | string', File: 'File' },
      },
    },
  },
};

export default config;
