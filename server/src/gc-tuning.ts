import v8 from 'node:v8';

/** The old generation may grow to twice what survived the last full collection before the next one starts. */
export const HEAP_GROWING_PERCENT = 100;

/**
 * Sets V8's heap growing factor for the server process, unless the operator chose one
 * (`node --heap-growing-percent=N`, or in NODE_OPTIONS).
 *
 * Why: V8 picks the factor from how fast its collector runs relative to how fast JavaScript allocates. The
 * server allocates little on the JavaScript heap but a lot outside it (sharp's and onnxruntime's image buffers,
 * a few MB an analysis), so V8 settles on its minimum factor, 1.1: with ~60 MB live the next full collection
 * starts after only ~8 MB of growth. Measured during `analyzeImage` calls: a full mark-compact every 3–7 calls,
 * which cost 30–45% more CPU per call on two cores (its concurrent marking competes with libvips' and
 * onnxruntime's threads). With a factor of 2 it was 0–2 per 80 calls. V8 reads the flag at every collection,
 * so setting it at start-up takes effect.
 * @returns whether the flag was set here (false when the process already had one).
 */
export function tuneGarbageCollector(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): boolean {
  const chosen = [...execArgv, ...nodeOptions.split(/\s+/)].some((arg) => /^--heap[-_]growing[-_]percent(=|$)/.test(arg));
  if (chosen) return false;
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
