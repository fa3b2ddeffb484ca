// Test trainer whose behaviour is chosen by the `--seed` the server passes, so that one server process
// (whose trainer command is fixed at start) can run several kinds of job:
//   1: `line <i>` for i = 1, 2, ..., 20 lines every 20 ms, every 3rd line on stderr, until the file `release`
//      appears in its output directory; then `total <n>` and exit 0 (so a test decides how long it runs);
//   2: prints, works for 1 s, exits 0;
//   3: prints, works for 1 s, reports an ERROR line and exits 4;
//   4: prints, then waits for a minute (to be killed).
import { existsSync, writeSync } from 'node:fs';
import path from 'node:path';

const argument = (name) => process.argv[process.argv.indexOf(name) + 1];
const scenario = Number(argument('--seed'));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

switch (scenario) {
  case 1: {
    const release = path.join(argument('--output-dir'), 'release');
    let i = 1;
    while (!existsSync(release)) {
      let out = '';
      let err = '';
      for (const end = i + 20; i < end; i++) {
        if (i % 3 === 0) err += `line ${i}\n`;
        else out += `line ${i}\n`;
      }
      writeSync(1, out);
      writeSync(2, err);
      await sleep(20);
    }
    writeSync(1, `total ${i - 1}\n`);
    break;
  }
  case 2:
    console.log('short job started');
    await sleep(1000);
    console.log('short job done');
    break;
  case 3:
    console.log('failing job started');
    await sleep(1000);
    console.error('ERROR: failed late');
    process.exitCode = 4;
    break;
  case 4:
    console.log('waiting');
    await sleep(60_000);
    break;
  default:
    console.error(`unknown scenario ${scenario}`);
    process.exitCode = 2;
}
