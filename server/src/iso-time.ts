/** The last Date converted, with its value (Dates are mutable) and its ISO string. */
let last: { date: Date; time: number; iso: string } | undefined;

/**
 * `date.toISOString()`, remembering the last Date converted: the lines of one log batch, and the metric points
 * parsed from them, share one Date, so that each batch converts it once wherever it is written out (the chunks,
 * the database's arrays, the GraphQL results).
 */
export function isoString(date: Date): string {
  const time = date.getTime();
  if (last?.date !== date || last.time !== time) last = { date, time, iso: date.toISOString() };
  return last.iso;
}
