// Test trainer: burns one core and holds ~64 MB for `ms` milliseconds (default 4000), printing progress.
// Usage: node cpu-burn.mjs [ms] [server arguments...]
const ms = Number(/^\d+$/.test(process.argv[2] ?? '') ? process.argv[2] : 4000);
const hold = Buffer.alloc(64 * 1024 * 1024, 1);
const end = Date.now() + ms;
let x = 0;
let nextPrint = 0;
while (Date.now() < end) {
  for (let i = 0; i < 100_000; i++) x += Math.sqrt(i);
  if (Date.now() >= nextPrint) {
    console.log(`burning step=${Math.round((ms - (end - Date.now())) / 100)} held=${hold.length}`);
    nextPrint = Date.now() + 200;
  }
}
console.log(`done ${x > 0}`);
