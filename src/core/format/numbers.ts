/**
 * How Trackside prints numbers, sizes and durations — the CLI, the Experiments view, Compare, the
 * run view, CodeLens, inline values and the status bar all use these, so one value reads the same
 * everywhere. Exports (CSV, JSON) keep full precision and do not come through here.
 */

/** Shown for a value that is not there. */
export const MISSING = '-';

/**
 * Four significant digits (`0.1496`, `12.35`, `1235`); whole numbers below a million as they are;
 * an exponent for very small or very large magnitudes (`1.235e-5`, `2.500e+7`).
 */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) return MISSING;
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const magnitude = Math.abs(value);
  if (Number.isInteger(value) && magnitude < 1e6) return String(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e6)) return value.toExponential(3);
  return String(Number(value.toPrecision(4)));
}

const BYTE_UNITS = ['KiB', 'MiB', 'GiB', 'TiB'];

/** Binary units, one decimal: `512 B`, `1.5 KiB`, `3.2 GiB`. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return MISSING;
  if (Math.abs(bytes) < 1024) return `${Math.round(bytes)} B`;
  let value = bytes / 1024;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${BYTE_UNITS[unit]}`;
}

/** `45s`, `3m 05s`, `2h 03m`: seconds under a minute, then the two largest units. */
export function formatDuration(milliseconds: number | null | undefined): string {
  if (milliseconds === null || milliseconds === undefined || !Number.isFinite(milliseconds) || milliseconds < 0) {
    return MISSING;
  }
  const seconds = Math.round(milliseconds / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d ${String(hours % 24).padStart(2, '0')}h`;
}

/** `just now`, `5 min ago`, `3 h ago`, then the date. */
export function formatAge(iso: string, now = Date.now()): string {
  const seconds = (now - Date.parse(iso)) / 1000;
  if (!Number.isFinite(seconds)) return MISSING;
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

/** A run's wall time: start (or creation) to end, or to now while it runs or waits in Slurm. */
export function runDuration(
  run: { createdAt: string; startedAt: string | null; endedAt: string | null; status: string },
  now = Date.now(),
): number | null {
  const start = Date.parse(run.startedAt ?? run.createdAt);
  if (run.endedAt) return Date.parse(run.endedAt) - start;
  return run.status === 'running' || run.status === 'pending' ? now - start : null;
}
