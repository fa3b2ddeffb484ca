// Samples the CPU use of some processes from /proc every `everyMs` and prints one JSON line per sample.
// A process of its own, so that it keeps sampling while the processes it watches are saturated.
// Usage: node cpu-sampler.mjs <everyMs> <name>=<pid>...
import { readFileSync } from 'node:fs';

const [everyMs, ...specs] = process.argv.slice(2);
const pids = Object.fromEntries(specs.map((s) => s.split('=')).map(([k, v]) => [k, Number(v)]));
const ticks = (pid) => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime, 1/100 s
  } catch {
    return Number.NaN;
  }
};
const t0 = performance.now();
let lastAt = t0;
let last = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, ticks(pid)]));
setInterval(() => {
  const now = performance.now();
  const sample = { atS: Math.round((now - t0) / 100) / 10 };
  for (const [k, pid] of Object.entries(pids)) {
    const t = ticks(pid);
    sample[k] = Math.round(((t - last[k]) * 1000) / (now - lastAt));
    last[k] = t;
  }
  lastAt = now;
  process.stdout.write(`${JSON.stringify(sample)}\n`);
}, Number(everyMs));
process.stdin.on('end', () => process.exit(0)).resume();
