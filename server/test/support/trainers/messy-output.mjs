// Test trainer: output that breaks naive log pipelines, written as raw bytes to stdout:
// invalid UTF-8 and a NUL, a `\r` progress bar, a 1 MiB line, a flood of `floodLines` lines as fast as
// possible, and finally a 1 MiB line without a trailing newline.
// Usage: node messy-output.mjs [floodLines] [server arguments...]
import { writeSync } from 'node:fs';

const floodLines = Number(/^\d+$/.test(process.argv[2] ?? '') ? process.argv[2] : 300_000);
const out = (data) => writeSync(1, typeof data === 'string' ? Buffer.from(data) : data);

out('begin\n');
out(Buffer.concat([Buffer.from('bad utf8: '), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(' end\n')]));
out(Buffer.from('nul:\0:byte\n'));
let bar = '';
for (let p = 0; p <= 100; p += 5) bar += `\rprogress ${p}%`;
out(`${bar}\n`);
out(`huge ${'x'.repeat(1024 * 1024)}\n`);
const chunk = 10_000;
for (let i = 1; i <= floodLines; i += chunk) {
  let text = '';
  for (let j = i; j < i + chunk && j <= floodLines; j++) text += `flood ${j}\n`;
  out(text);
}
out('flood done\n');
out(`tail ${'y'.repeat(1024 * 1024)}`);
