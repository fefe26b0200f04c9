import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import {
  RUNS_DIR,
  RunEventSchema,
  RunFile,
  RunInfoSchema,
  RunStatusSchema,
  TRACKSIDE_DIR,
  type RunEvent,
  type RunInfo,
  type RunStatus,
} from './protocol';
import { RunFileError } from './errors';

/** Reads the run-folder protocol. Never writes; tolerant of a process still appending. */

export function runsRoot(workspaceRoot: string): string {
  return join(workspaceRoot, TRACKSIDE_DIR, RUNS_DIR);
}

/** Run ids in the workspace, oldest first (ids sort by creation time). */
export async function listRunIds(workspaceRoot: string): Promise<string[]> {
  try {
    const entries = await readdir(runsRoot(workspaceRoot), { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

async function readJsonFile<T extends z.ZodType>(path: string, schema: T): Promise<z.infer<T>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new RunFileError(path, 'unreadable', (error as Error).message);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new RunFileError(path, 'malformed', (error as Error).message);
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new RunFileError(path, 'invalid', parsed.error.issues[0]?.message ?? 'invalid');
  return parsed.data;
}

export function readRunInfo(runDir: string): Promise<RunInfo> {
  return readJsonFile(join(runDir, RunFile.run), RunInfoSchema);
}

/** The runner's status, or null while the runner has not written one yet. */
export async function readRunStatus(runDir: string): Promise<RunStatus | null> {
  try {
    return await readJsonFile(join(runDir, RunFile.status), RunStatusSchema);
  } catch (error) {
    if (error instanceof RunFileError && error.reason === 'unreadable') return null;
    throw error;
  }
}

export interface EventChunk {
  events: RunEvent[];
  /** Byte offset just past the last complete line consumed; a torn last line is left for later. */
  nextOffset: number;
  /** Lines that were complete but not valid events (bad JSON, unknown type, bad fields, bad UTF-8). */
  malformed: number;
}

/** Lines longer than this are counted as malformed and skipped without being parsed. */
export const MAX_EVENT_LINE_BYTES = 1024 * 1024;

/**
 * Parses complete lines of an events.jsonl buffer. Bytes after the last newline are a line the
 * writer has not finished: they are not consumed, so the next read starts at them.
 */
export function parseEventLines(buffer: Buffer, startOffset: number): EventChunk {
  const events: RunEvent[] = [];
  let malformed = 0;
  let lineStart = 0;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (;;) {
    const newline = buffer.indexOf(0x0a, lineStart);
    if (newline < 0) break;
    const length = newline - lineStart;
    if (length > MAX_EVENT_LINE_BYTES) {
      malformed++;
    } else if (length > 0) {
      const event = parseEventLine(buffer.subarray(lineStart, newline), decoder);
      if (event) events.push(event);
      else if (!isBlank(buffer, lineStart, newline)) malformed++;
    }
    lineStart = newline + 1;
  }
  return { events, nextOffset: startOffset + lineStart, malformed };
}

function isBlank(buffer: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buffer[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

function parseEventLine(bytes: Buffer, decoder: TextDecoder): RunEvent | null {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return null;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = RunEventSchema.safeParse(data);
  return parsed.success ? parsed.data : null;
}

/** Reads events.jsonl from a byte offset to its current end, in bounded chunks. */
export async function readEventsFrom(
  runDir: string,
  fromOffset: number,
  onChunk: (chunk: EventChunk) => void,
  chunkBytes = 4 * 1024 * 1024,
): Promise<number> {
  const path = join(runDir, RunFile.events);
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return fromOffset;
    throw error;
  }
  if (size <= fromOffset) return fromOffset;
  let offset = fromOffset;
  let carry: Buffer = Buffer.alloc(0);
  const stream = createReadStream(path, { start: fromOffset, end: size - 1, highWaterMark: chunkBytes });
  for await (const piece of stream as AsyncIterable<Buffer>) {
    const buffer = carry.length > 0 ? Buffer.concat([carry, piece]) : piece;
    const chunk = parseEventLines(buffer, offset);
    const consumed = chunk.nextOffset - offset;
    offset = chunk.nextOffset;
    carry = buffer.subarray(consumed);
    if (carry.length > MAX_EVENT_LINE_BYTES) {
      // A line too long to ever be valid: skip to its end without holding it in memory.
      stream.destroy();
      const skip = await skipOverlongLine(path, offset, size);
      if (!skip.counted) {
        if (consumed > 0 || chunk.events.length > 0) onChunk(chunk);
        return offset;
      }
      chunk.malformed += 1;
      chunk.nextOffset = skip.offset;
      onChunk(chunk);
      return readEventsFrom(runDir, skip.offset, onChunk, chunkBytes);
    }
    if (chunk.events.length > 0 || chunk.malformed > 0 || consumed > 0) onChunk(chunk);
  }
  return offset;
}

async function skipOverlongLine(
  path: string,
  from: number,
  size: number,
): Promise<{ offset: number; counted: boolean }> {
  const stream = createReadStream(path, { start: from, end: size - 1, highWaterMark: 1024 * 1024 });
  let position = from;
  for await (const piece of stream as AsyncIterable<Buffer>) {
    const newline = piece.indexOf(0x0a);
    if (newline >= 0) {
      stream.destroy();
      return { offset: position + newline + 1, counted: true };
    }
    position += piece.length;
  }
  // No newline yet: the writer is still on this line. Wait for it rather than count it twice.
  return { offset: from, counted: false };
}
