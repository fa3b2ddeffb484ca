import v8 from 'node:v8';

/** By default the old generation may grow to twice what survived the last full collection before the next one starts. */
export const DEFAULT_HEAP_GROWING_PERCENT = 100;

/**
 * Sets V8's heap growing factor for the server process to `percent` (ANANA_HEAP_GROWING_PERCENT; 0 leaves V8's
 * own choice); a `--heap-growing-percent` on node's command line wins.
 *
 * Why: V8 picks the factor from how fast its collector runs relative to how fast JavaScript allocates. The
 * server allocates little on the JavaScript heap but a lot outside it (sharp's and onnxruntime's image buffers,
 * a few MB an analysis), so V8 settles on its minimum factor, 1.1: with ~60 MB live the next full collection
 * starts after only ~8 MB of growth. Measured during `analyzeImage` calls: a full mark-compact every 3–7 calls,
 * which cost 30–45% more CPU per call on two cores (its concurrent marking competes with libvips' and
 * onnxruntime's threads); with a factor of 2, 0–2 per 80 calls. Under a flood of log lines, where V8 lets the
 * heap grow by up to 4× on its own, the fixed factor also bounds the garbage held. V8 reads the flag at every
 * collection, so setting it at start-up takes effect.
 * @returns the percentage set, or null when none was set here.
 */
export function tuneGarbageCollector(percent: number = DEFAULT_HEAP_GROWING_PERCENT, execArgv: readonly string[] = process.execArgv): number | null {
  const rounded = Math.round(percent);
  if (rounded <= 0 || execArgv.some((arg) => /^--heap[-_]growing[-_]percent(=|$)/.test(arg))) return null;
  v8.setFlagsFromString(`--heap-growing-percent=${rounded}`);
  return rounded;
}
