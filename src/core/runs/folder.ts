import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic, writeJsonAtomicSync } from './atomic-write';
import { RUNS_DIR, RunFile, TRACKSIDE_DIR } from './folder-layout';
import type { RunEvent, RunInfo, RunStatus } from './protocol';

/**
 * The writer side of the run-folder protocol. JSON files are replaced atomically; events are appended
 * as whole lines through an O_APPEND descriptor, one write() per batch of complete lines, so a
 * client appending to the same file from another process never lands in the middle of a line.
 * Lines are handed to the OS at once (a crash of the writer loses nothing) but not fsynced one by
 * one: that would cap logging at a few hundred points a second; the file is fsynced on close.
 */
export class RunFolder {
  constructor(readonly dir: string) {}

  /** Creates `.trackside/runs/<id>/` under the workspace root. */
  static create(workspaceRoot: string, runId: string): RunFolder {
    const dir = join(workspaceRoot, TRACKSIDE_DIR, RUNS_DIR, runId);
    mkdirSync(dir, { recursive: true });
    return new RunFolder(dir);
  }

  path(file: keyof typeof RunFile): string {
    return join(this.dir, RunFile[file]);
  }

  writeInfo(info: RunInfo): Promise<void> {
    return writeJsonAtomic(this.path('run'), info);
  }

  writeInfoSync(info: RunInfo): void {
    writeJsonAtomicSync(this.path('run'), info);
  }

  writeStatus(status: RunStatus): Promise<void> {
    return writeJsonAtomic(this.path('status'), status);
  }

  /** For exit paths that cannot wait for a promise. */
  writeStatusSync(status: RunStatus): void {
    writeJsonAtomicSync(this.path('status'), status);
  }

  openEvents(): EventAppender {
    return new EventAppender(this.path('events'));
  }
}

/** JSON has no NaN or Infinity: the protocol writes them as strings (see EventNumberSchema). */
function encodeNumber(value: number): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  return value;
}

/** One event as its protocol line, newline included. */
export function encodeEventLine(event: RunEvent | (RunEvent & Record<string, unknown>)): string {
  const line = JSON.stringify(event, (key, value: unknown) =>
    key === 'value' && typeof value === 'number' ? encodeNumber(value) : value,
  );
  return `${line}\n`;
}

export class EventAppender {
  private fd: number | null;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }

  append(event: RunEvent): void {
    this.writeWhole(encodeEventLine(event));
  }

  /** Appends several events in one write. */
  appendAll(events: readonly RunEvent[]): void {
    if (events.length > 0) this.writeWhole(events.map(encodeEventLine).join(''));
  }

  private writeWhole(text: string): void {
    if (this.fd === null) throw new Error(`${this.path} is closed`);
    const bytes = Buffer.from(text, 'utf8');
    let written = 0;
    // A regular-file write is whole in practice; the loop only guards the contract of write(2).
    while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written);
  }

  close(): void {
    if (this.fd === null) return;
    try {
      fsyncSync(this.fd);
    } catch {
      // some filesystems refuse fsync; the data already reached the OS
    }
    closeSync(this.fd);
    this.fd = null;
  }
}
