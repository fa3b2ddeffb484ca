import { writeFileSync } from 'node:fs';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { schema } from './index.ts';

export const SCHEMA_FILE = new URL('../../../schema.graphql', import.meta.url);

export function printedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*server\//, 'server/'))) {
  writeFileSync(SCHEMA_FILE, printedSchema());
  console.log('wrote schema.graphql');
}
