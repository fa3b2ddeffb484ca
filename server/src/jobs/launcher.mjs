// Runs a job's command and records how it ended, so a server that restarts can learn the exit status
// of a process that is no longer its child. Plain JavaScript: it must start in milliseconds.
// Usage: node launcher.mjs <exit-file> <command> [args...]
import { spawn } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';

const [exitFile, command, ...args] = process.argv.slice(2);

// The launcher outlives a stop's SIGTERM on purpose: the command receives it through the process group,
// and the launcher must still be there to record the command's end.
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => {});

function record(result) {
  const tmp = `${exitFile}.tmp`;
  writeFileSync(tmp, JSON.stringify({ ...result, finishedAt: new Date().toISOString() }));
  renameSync(tmp, exitFile);
}

const child = spawn(command, args, { stdio: 'inherit' });
child.on('error', (error) => {
  process.stderr.write(`anana: could not start ${JSON.stringify(command)}: ${error.message}\n`);
  record({ exitCode: 127, signal: null, error: `could not start ${command}: ${error.message}` });
  process.exit(127);
});
child.on('exit', (exitCode, signal) => {
  record({ exitCode, signal });
  process.exit(exitCode ?? 128 + (constants.signals[signal] ?? 0));
});
