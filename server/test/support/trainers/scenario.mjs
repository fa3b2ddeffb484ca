// Test trainer whose behaviour is chosen by the `--seed` the server passes, so that one server process
// (whose trainer command is fixed at start) can run several kinds of job:
//   1: `line <i>` for i = 1..6000, 20 lines every 20 ms (about 6 s), every 3rd line on stderr;
//   2: prints, works for 1 s, exits 0;
//   3: prints, works for 1 s, reports an ERROR line and exits 4;
//   4: prints, then waits for a minute (to be killed).
import { writeSync } from 'node:fs';

const seedAt = process.argv.indexOf('--seed');
const scenario = Number(process.argv[seedAt + 1]);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

switch (scenario) {
  case 1:
    for (let i = 1; i <= 6000; i += 20) {
      let out = '';
      let err = '';
      for (let j = i; j < i + 20; j++) {
        if (j % 3 === 0) err += `line ${j}\n`;
        else out += `line ${j}\n`;
      }
      writeSync(1, out);
      writeSync(2, err);
      await sleep(20);
    }
    break;
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
