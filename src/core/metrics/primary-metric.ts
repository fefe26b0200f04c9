import { isSystemMetric } from './system-keys';

/**
 * The metric a run list shows beside each run when the user has not chosen one for the
 * experiment: validation metrics first (what people select models by), then training loss and
 * accuracy, then whatever comes first alphabetically; never a system metric (`sys/…`).
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
  const candidates = keys.filter((k) => !isSystemMetric(k));
  for (const pattern of PREFERENCE) {
    const match = candidates.filter((k) => pattern.test(k)).sort()[0];
    if (match) return match;
  }
  return [...candidates].sort()[0];
}
