import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const INTERNAL = path.resolve(import.meta.dirname, '../../src/generated/prisma/internal');

// `npm run generate` rewrites the generated client (prisma/wasm-from-file.mjs) so that the query compiler is not
// held on the heap as a base64 module for the life of the process. Every database test exercises the result;
// this one says what went wrong when the rewrite did not happen.
describe('the generated Prisma client', () => {
  it('compiles the query compiler from the binary file beside it, not from the base64 module', () => {
    const source = readFileSync(path.join(INTERNAL, 'class.ts'), 'utf8');
    expect(source).toContain("new URL('./query_compiler_bg.wasm', import.meta.url)");
    expect(source).not.toMatch(/await import\("[^"]*wasm-base64[^"]*"\)/);
    const wasm = path.join(INTERNAL, 'query_compiler_bg.wasm');
    expect(existsSync(wasm)).toBe(true);
    expect(WebAssembly.validate(readFileSync(wasm))).toBe(true);
  });
});
