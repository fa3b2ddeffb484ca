// Run after `prisma generate` (npm run generate): makes the generated client load Prisma's query compiler from a
// binary .wasm file beside it instead of importing the module that holds it as base64.
//
// Why: an imported ES module stays loaded for the life of the process, and V8 keeps both its source and the base64
// string it exports. For the PostgreSQL compiler that is 2 × 4.6 MB, a sixth of the server's whole live heap,
// held forever for a module compiled once at start-up. (The heap the server may fill before a full collection
// grows with the live heap: see server/src/gc-tuning.ts.)
//
// The generated code is checked for the exact form this rewrites; anything else fails the generate step loudly
// rather than leaving a client that half works.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const INTERNAL = path.join(ROOT, 'server', 'src', 'generated', 'prisma', 'internal');
const CLASS_FILE = path.join(INTERNAL, 'class.ts');
const WASM_FILE = 'query_compiler_bg.wasm';
const MARKER = '// anana: the query compiler from a binary file (prisma/wasm-from-file.mjs)';

const BASE64_IMPORT = /const \{ wasm \} = await import\("(@prisma\/client\/runtime\/[\w.]+\.wasm-base64\.mjs)"\)\n(\s*)return await decodeBase64AsWasm\(wasm\)/;

const source = await readFile(CLASS_FILE, 'utf8');
if (source.includes(MARKER)) {
  console.log('prisma: the query compiler already loads from a binary file');
  process.exit(0);
}
const found = BASE64_IMPORT.exec(source);
if (!found) {
  console.error(`prisma/wasm-from-file.mjs: ${path.relative(ROOT, CLASS_FILE)} does not import the query compiler as expected; update this script for the new Prisma version`);
  process.exit(1);
}
const [, specifier, indent] = found;
const { wasm } = await import(specifier);
const bytes = Buffer.from(wasm, 'base64');
// A valid module or nothing: WebAssembly.Module throws on anything truncated or mangled.
new WebAssembly.Module(bytes);
await writeFile(path.join(INTERNAL, WASM_FILE), bytes);
const replacement = [
  MARKER,
  `${indent}void decodeBase64AsWasm`,
  `${indent}const { readFile } = await import('node:fs/promises')`,
  `${indent}return new WebAssembly.Module(await readFile(new URL('./${WASM_FILE}', import.meta.url)))`,
].join('\n');
await writeFile(CLASS_FILE, source.replace(BASE64_IMPORT, replacement));
console.log(`prisma: the query compiler loads from ${path.relative(ROOT, path.join(INTERNAL, WASM_FILE))} (${bytes.length} bytes) instead of ${specifier}`);
