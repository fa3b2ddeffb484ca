// Bench child: prints `rate` lines/s for `seconds` s, each line stamped with the wall clock of its write:
// `line <i> @<ms since epoch, µs precision> <filler>` (~100 bytes). Writes every ~1 ms what is due by then.
// If `goFile` is not "-", waits until that file exists before the first line (so subscribers can get ready).
// Usage: node paced.mjs <rate> <seconds> <goFile> [server arguments...]
import { existsSync } from 'node:fs';

const args = process.argv.slice(2);
const rate = Number(args[0] ?? 5000);
const seconds = Number(args[1] ?? 10);
const goFile = args[2] ?? '-';
const total = Math.round(rate * seconds);
const FILLER = 'the quick brown fox jumps over the lazy dog while the trainer keeps printing progress lines.......';
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

if (goFile !== '-') {
  const deadline = Date.now() + 120_000;
  while (!existsSync(goFile)) {
    if (Date.now() > deadline) process.exit(3);
    await sleep(1);
  }
}

const start = now();
let i = 1;
const timer = setInterval(() => {
  const t = now();
  const due = Math.min(total, Math.floor(((t - start) / 1000) * rate) + 1);
  if (i > due) return;
  const stamp = t.toFixed(3);
  let out = '';
  for (; i <= due; i++) {
    const head = `line ${i} @${stamp} `;
    out += `${head}${FILLER.slice(0, 99 - head.length)}\n`;
  }
  process.stdout.write(out);
  if (i > total) clearInterval(timer);
}, 1);
