import { closeSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, writeSync } from 'node:fs';
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

  openEvents(options?: EventAppenderOptions): EventAppender {
    return new EventAppender(this.path('events'), options);
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

/** Bytes an appender keeps while its disk refuses them (a full disk); beyond this the oldest go. */
const BACKLOG_MAX_BYTES = 64 * 1024 * 1024;

export interface EventAppenderOptions {
  /**
   * Called when a write fails (ENOSPC, EIO…): the bytes are kept and written before the next batch,
   * so nothing is lost while the disk frees up. Without it, the error is thrown after they are kept.
   */
  onWriteError?: (error: NodeJS.ErrnoException) => void;
}

export class EventAppender {
  private fd: number | null;
  /** Whole lines the disk has not taken yet, oldest first (a failed write keeps its unwritten tail). */
  private backlog: Buffer[] = [];
  private backlogBytes = 0;
  private droppedBytes = 0;

  constructor(
    readonly path: string,
    private readonly options: EventAppenderOptions = {},
  ) {
    this.fd = openSync(path, 'a');
  }

  append(event: RunEvent): void {
    this.writeWhole(encodeEventLine(event));
  }

  /** Appends several events in one write. */
  appendAll(events: readonly RunEvent[]): void {
    if (events.length > 0) this.writeWhole(events.map(encodeEventLine).join(''));
  }

  /** Bytes waiting for the disk, and bytes given up on because the backlog was full. */
  get pending(): { bytes: number; dropped: number } {
    return { bytes: this.backlogBytes, dropped: this.droppedBytes };
  }

  private writeWhole(text: string): void {
    if (this.fd === null) throw new Error(`${this.path} is closed`);
    this.keep(Buffer.from(text, 'utf8'));
    this.drain();
  }

  private keep(bytes: Buffer): void {
    this.backlog.push(bytes);
    this.backlogBytes += bytes.length;
    while (this.backlogBytes > BACKLOG_MAX_BYTES && this.backlog.length > 1) {
      const oldest = this.backlog.shift()!;
      this.backlogBytes -= oldest.length;
      this.droppedBytes += oldest.length;
    }
  }

  /** Writes the backlog in order; stops at the first refusal, keeping what is left. */
  private drain(): boolean {
    while (this.backlog.length > 0 && this.fd !== null) {
      const bytes = this.backlog[0]!;
      let written = 0;
      try {
        // A regular-file write is whole in practice; the loop guards the contract of write(2).
        while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written);
      } catch (error) {
        // The file keeps whole lines: a batch cut short is taken back and kept whole for later
        // (should that fail too, only its unwritten tail is kept, so nothing is written twice).
        if (written > 0 && !this.takeBack(written)) {
          this.backlog[0] = bytes.subarray(written);
          this.backlogBytes -= written;
        }
        if (!this.options.onWriteError) throw error;
        this.options.onWriteError(error as NodeJS.ErrnoException);
        return false;
      }
      this.backlog.shift();
      this.backlogBytes -= bytes.length;
    }
    return true;
  }

  /** Truncates the last `bytes` this appender wrote (the end of the file, as O_APPEND put them). */
  private takeBack(bytes: number): boolean {
    try {
      ftruncateSync(this.fd!, fstatSync(this.fd!).size - bytes);
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.fd === null) return;
    try {
      this.drain();
    } catch {
      // The disk is still full: what is left is reported through `pending`.
    }
    try {
      fsyncSync(this.fd);
    } catch {
      // some filesystems refuse fsync; the data already reached the OS
    }
    closeSync(this.fd);
    this.fd = null;
  }
}
