// Baseline of the throughput benchmark: the same child piped into a bare Node line counter.
// Usage: node line-counter.mjs <child script> [child args...]; prints {"lines":N,"ms":T} (T from spawn to EOF).
import { spawn } from 'node:child_process';

const [script, ...args] = process.argv.slice(2);
const t0 = performance.now();
const proc = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
let lines = 0;
let firstAt;
proc.stdout.on('data', (chunk) => {
  firstAt ??= performance.now();
  for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
});
proc.stdout.on('end', () => {
  const t1 = performance.now();
  process.stdout.write(`${JSON.stringify({ lines, ms: t1 - t0, firstToLastMs: t1 - firstAt })}\n`);
});
