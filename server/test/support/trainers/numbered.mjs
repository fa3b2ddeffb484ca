// Test trainer: prints `line <i>` for i = 1..count on stdout, in chunks of `chunk` lines with `pauseMs`
// between chunks; every `stderrEvery`-th line goes to stderr instead, every `warnEvery`-th line reads
// `WARNING line <i>` (0: none).
// Usage: node numbered.mjs <count> [chunk] [pauseMs] [stderrEvery] [warnEvery] [server arguments...]
import { writeSync } from 'node:fs';

// Our own arguments come first; the server's (`--mode tune ...`) follow and are ignored.
const args = process.argv.slice(2);
const serverArgsAt = args.findIndex((a) => a.startsWith('--'));
const own = serverArgsAt === -1 ? args : args.slice(0, serverArgsAt);
const [count, chunk = 1000, pauseMs = 0, stderrEvery = 0, warnEvery = 0] = own.map(Number);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let i = 1;
while (i <= count) {
  let out = '';
  let err = '';
  for (const end = Math.min(count, i + chunk - 1); i <= end; i++) {
    const line = warnEvery && i % warnEvery === 0 ? `WARNING line ${i}\n` : `line ${i}\n`;
    if (stderrEvery && i % stderrEvery === 0) err += line;
    else out += line;
  }
  // Synchronous writes to the job's files: what is printed is on disk before the next chunk.
  if (out) writeSync(1, out);
  if (err) writeSync(2, err);
  if (pauseMs) await sleep(pauseMs);
}
