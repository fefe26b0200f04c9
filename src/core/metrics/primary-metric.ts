/**
 * The metric a run list shows beside each run when the user has not chosen one for the
 * experiment: validation metrics first (what people select models by), then training loss and
 * accuracy, then whatever comes first alphabetically.
 */
const PREFERENCE = [
  /^val(idation)?[_/.-]?acc/i,
  /^val(idation)?[_/.-]?loss$/i,
  /^val/i,
  /^test/i,
  /^loss$/i,
  /acc/i,
  /loss/i,
];

export function defaultPrimaryMetric(keys: readonly string[]): string | undefined {
  for (const pattern of PREFERENCE) {
    const match = keys.filter((k) => pattern.test(k)).sort()[0];
    if (match) return match;
  }
  return [...keys].sort()[0];
}
