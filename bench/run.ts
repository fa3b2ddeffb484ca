// Runs the benchmarks one after the other, each in its own process (so that one's memory and timers cannot
// skew the next), then prints a summary of the ratios against their goals.
// Usage: npm run bench [-- name...]   (a name selects every benchmark whose name contains it: `logs`, `latency`)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BENCH_DIR, fmt, machineInfo, PROJECT_ROOT, RESULTS_DIR, storageName, type BenchResult } from './lib/common.ts';

/** The log pipeline and leaderboard benchmarks in this order, then any other `*.bench.ts` under bench/. */
const KNOWN = ['logs-throughput', 'logs-latency', 'fanout', 'job-start', 'leaderboard'];

function discover(dir = BENCH_DIR, prefix = ''): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && !['lib', 'children', 'results', 'node_modules'].includes(entry.name)) found.push(...discover(path.join(dir, entry.name), `${prefix}${entry.name}/`));
    else if (entry.isFile() && entry.name.endsWith('.bench.ts')) found.push(`${prefix}${entry.name.slice(0, -'.bench.ts'.length)}`);
  }
  return found;
}

const ALL = [...KNOWN.filter((n) => existsSync(path.join(BENCH_DIR, `${n}.bench.ts`))), ...discover().filter((n) => !KNOWN.includes(n)).sort()];
const PER_BENCH_LIMIT_MS = 6 * 60_000;

function select(args: string[]): string[] {
  const names = args.filter((a) => !a.startsWith('-'));
  if (!names.length) return ALL;
  const unknown = names.filter((n) => !ALL.some((b) => b.includes(n)));
  if (unknown.length) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${ALL.join(', ')}`);
    process.exit(2);
  }
  return ALL.filter((b) => names.some((n) => b.includes(n)));
}

function runOne(name: string, resultFile: string): Promise<number | null> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', path.join(BENCH_DIR, `${name}.bench.ts`)], {
      cwd: PROJECT_ROOT,
      stdio: 'inherit',
      // NODE_ENV=production as `npm start` and the Dockerfile run the server (graphql-js, for one, skips its development checks).
      env: { NODE_ENV: 'production', ...process.env, BENCH_RESULT_FILE: resultFile },
    });
    const timer = setTimeout(() => {
      console.error(`${name}: still running after ${PER_BENCH_LIMIT_MS / 60_000} min; killed`);
      proc.kill('SIGKILL');
    }, PER_BENCH_LIMIT_MS);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

async function main(): Promise<void> {
  const selected = select(process.argv.slice(2));
  const machine = machineInfo();
  console.log(`Benchmarks: ${selected.join(', ')}`);
  console.log(`Machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}; storage: ${storageName()}\n`);
  const startedAt = new Date().toISOString();
  const scratch = mkdtempSync(path.join(tmpdir(), 'anana-bench-run-'));
  const rows: { bench: string; label: string; value: string; goal: string; verdict: string }[] = [];
  const results: BenchResult[] = [];
  for (const name of selected) {
    const t0 = Date.now();
    const file = path.join(scratch, `${name.replaceAll('/', '_')}.json`);
    const code = await runOne(name, file);
    const result = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as BenchResult) : undefined;
    if (code !== 0 || !result) {
      rows.push({ bench: name, label: `FAILED (exit ${code})`, value: '', goal: '', verdict: 'ERROR' });
      console.log('');
      continue;
    }
    results.push(result);
    for (const v of result.verdicts) rows.push({ bench: name, label: v.label, value: fmt(v.ratio, Math.abs(v.ratio) < 0.1 ? 3 : 2), goal: v.goal, verdict: v.pass === null ? 'info' : v.pass ? 'PASS' : 'MISS' });
    console.log(`   (${name} took ${fmt((Date.now() - t0) / 1000, 0)} s)\n`);
  }

  const widths = { bench: Math.max(9, ...rows.map((r) => r.bench.length)), label: 0, value: 9, goal: 0, verdict: 7 };
  widths.label = Math.max(...rows.map((r) => r.label.length), 7);
  widths.goal = Math.max(...rows.map((r) => r.goal.length), 4);
  const line = (b: string, l: string, v: string, g: string, d: string) =>
    `${b.padEnd(widths.bench)}  ${l.padEnd(widths.label)}  ${v.padStart(widths.value)}  ${g.padEnd(widths.goal)}  ${d}`;
  console.log('Summary (ratio = ours / baseline measured in the same run, unless the label says otherwise)');
  console.log(line('benchmark', 'measure', 'value', 'goal', 'verdict'));
  console.log('-'.repeat(widths.bench + widths.label + widths.value + widths.goal + widths.verdict + 8));
  for (const r of rows) console.log(line(r.bench, r.label, r.value, r.goal, r.verdict));
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(RESULTS_DIR, { recursive: true });
  const summaryFile = path.join(RESULTS_DIR, `summary.${process.env.DATABASE_URL ? 'postgres' : 'embedded'}.json`);
  writeFileSync(summaryFile, `${JSON.stringify({ startedAt, machine, storage: storageName(), rows, results }, null, 2)}\n`);
  console.log(`\nResults: ${path.relative(PROJECT_ROOT, RESULTS_DIR)}/ (one JSON per benchmark, and ${path.basename(summaryFile)})`);
  // A missed goal is a finding, not a crash: only a benchmark that could not run fails the command.
  process.exitCode = rows.some((r) => r.verdict === 'ERROR') ? 1 : 0;
}

void main();
