// Bench child: prints `count` lines of ~100 bytes as fast as it can: `line <i> <filler>`, every
// `metricsEvery`-th line a metric line (`line <i> epoch=.. step=<i> loss=.. lr=..`) that the pipeline parses.
// If `goFile` is given and not "-", waits until that file exists before the first line (subscribers get ready).
// Usage: node flood.mjs <count> [metricsEvery=10] [goFile] [server arguments...] (arguments from `--` on are ignored)
import { existsSync } from 'node:fs';

const all = process.argv.slice(2);
const cut = all.findIndex((a) => a.startsWith('--'));
const own = cut === -1 ? all : all.slice(0, cut);
const count = Number(own[0] ?? 1_000_000);
const metricsEvery = Number(own[1] ?? 10);
const goFile = own[2] ?? '-';
const FILLER = 'the quick brown fox jumps over the lazy dog while the trainer keeps printing progress lines.......';
const CHUNK = 65_536;

function line(i) {
  const head = metricsEvery && i % metricsEvery === 0 ? `line ${i} epoch=${(i / 100_000) | 0} step=${i} loss=${(1 / (1 + i / 1e5)).toFixed(5)} lr=0.001 ` : `line ${i} `;
  return `${head}${FILLER.slice(0, 99 - head.length)}\n`;
}

if (goFile !== '-') {
  const deadline = Date.now() + 120_000;
  while (!existsSync(goFile)) {
    if (Date.now() > deadline) process.exit(3);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

let i = 1;
function pump() {
  while (i <= count) {
    let out = '';
    while (i <= count && out.length < CHUNK) out += line(i++);
    // Synchronous for files and (on Linux) pipes; the drain wait covers anything else.
    if (!process.stdout.write(out)) return process.stdout.once('drain', pump);
  }
}
pump();
