// Baseline of the latency benchmark: the paced child piped straight into a Node reader that splits lines and
// measures now − stamp for each. Usage: node pipe-reader.mjs <rate> <seconds>; prints latency percentiles (ms).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const [rate, seconds] = process.argv.slice(2);
const now = () => performance.timeOrigin + performance.now();
const proc = spawn(process.execPath, [fileURLToPath(new URL('./paced.mjs', import.meta.url)), rate, seconds, '-'], { stdio: ['ignore', 'pipe', 'inherit'] });
const latencies = [];
let rest = '';
let expected = 1;
let errors = 0;
proc.stdout.setEncoding('utf8').on('data', (chunk) => {
  const t = now();
  const lines = (rest + chunk).split('\n');
  rest = lines.pop();
  for (const line of lines) {
    const [, seq, stamp] = line.split(' ', 3);
    if (Number(seq) !== expected++) errors++;
    latencies.push(t - Number(stamp.slice(1)));
  }
});
proc.stdout.on('end', () => {
  latencies.sort((a, b) => a - b);
  const at = (p) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
  process.stdout.write(`${JSON.stringify({ lines: latencies.length, errors, p50: at(50), p95: at(95), p99: at(99), max: latencies.at(-1) })}\n`);
});
