// Test trainer: metric lines whose names a database index or text column would refuse, between plain lines.
// - structured lines whose JSON names hold an escaped NUL or a lone surrogate;
// - a 5,000-character name in the structured form, a Hugging Face dict and a `key=value` pair.
// Usage: node hostile-metrics.mjs [server arguments...]
import { writeSync } from 'node:fs';

const long = 'k'.repeat(5_000);
const lines = [
  'before 1',
  'ANANA_METRICS {"step":1,"bad\\u0000name":0.5,"loss":0.25}',
  'ANANA_METRICS {"step":2,"lone\\ud800half":0.75,"loss":0.2}',
  `ANANA_METRICS {"step":3,"${long}":1,"loss":0.15}`,
  `{'${long}': 2.0, 'loss': 0.1, 'epoch': 1.0}`,
  `${long}=3 loss=0.05 step=5`,
  'after 7',
];
for (const line of lines) writeSync(1, `${line}\n`);
