import { monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

/** A new run id: a ULID, so ids sort by creation time (and stay ordered within one millisecond). */
export function newRunId(now = Date.now()): string {
  return nextUlid(now);
}
