import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCHEMA_FILE, printedSchema } from '../../src/schema/print.ts';

describe('schema.graphql', () => {
  it('matches the schema the code builds (run `npm run print-schema` after changing the API)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(printedSchema());
  });
});
