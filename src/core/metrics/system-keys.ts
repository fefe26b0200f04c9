/**
 * Keys the launcher records about the machine rather than the model (`sys/cpu_percent`,
 * `sys/rss_mb`, `sys/gpu0/util_percent`…): charted in their own section and never a primary metric.
 */
export const SYSTEM_METRIC_PREFIX = 'sys/';

export function isSystemMetric(key: string): boolean {
  return key.startsWith(SYSTEM_METRIC_PREFIX);
}
