import { monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

/** A new run id: a ULID, so ids sort by creation time (and stay ordered within one millisecond). */
export function newRunId(now = Date.now()): string {
  return nextUlid(now);
}

/**
 * A run id as a folder name under `.trackside/runs/`: what the launcher makes (a ULID) and what other
 * tools may (letters, digits, `.`, `_`, `-`), never a path (`..`, `/`) or an option (`-x`).
 */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isRunId(value: string): boolean {
  return RUN_ID.test(value) && !value.includes('..');
}
