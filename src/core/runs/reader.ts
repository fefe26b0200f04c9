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
  type MetricEvent,
  type RunEvent,
  type RunInfo,
  type RunStatus,
} from './protocol';
import { RunFileError } from './errors';
import { readCompactMetricLine } from './metric-line';

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

/**
 * The largest run.json, status.json or annotations file read (a package list makes run.json the
 * biggest: a few hundred kB). A run folder may come from anywhere: a FIFO, a device or a huge file
 * in its place is refused, never read.
 */
export const RUN_FILE_MAX_BYTES = 8 * 1024 * 1024;

async function readJsonFile<T extends z.ZodType>(path: string, schema: T): Promise<z.infer<T>> {
  let text: string;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error('not a regular file');
    if (info.size > RUN_FILE_MAX_BYTES) throw new Error(`${info.size} bytes, more than a run file holds`);
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
  const end = buffer.lastIndexOf(0x0a) + 1;
  if (end === 0) return { events: [], nextOffset: startOffset, malformed: 0 };
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let text: string | null;
  try {
    // Decoding the chunk once is several times faster than line by line; only a chunk holding
    // bad UTF-8 falls back to decoding each line, so one bad line costs only itself.
    text = decoder.decode(buffer.subarray(0, end));
  } catch {
    text = null;
  }
  const chunk = text === null ? parseLinesOfBytes(buffer, end, decoder) : parseLinesOfText(text);
  return { ...chunk, nextOffset: startOffset + end };
}

function parseLinesOfText(text: string): Omit<EventChunk, 'nextOffset'> {
  const events: RunEvent[] = [];
  let malformed = 0;
  let lineStart = 0;
  for (;;) {
    const newline = text.indexOf('\n', lineStart);
    if (newline < 0) break;
    const length = newline - lineStart;
    // A UTF-16 unit is at most 3 UTF-8 bytes: only long lines need their exact byte length.
    const overlong =
      length * 3 > MAX_EVENT_LINE_BYTES &&
      Buffer.byteLength(text.slice(lineStart, newline), 'utf8') > MAX_EVENT_LINE_BYTES;
    if (overlong) {
      malformed++;
    } else if (length > 0) {
      const metric = readCompactMetricLine(text, lineStart, newline);
      if (metric) {
        events.push(metric);
        lineStart = newline + 1;
        continue;
      }
      const line = text.slice(lineStart, newline);
      const event = parseEventText(line);
      if (event) events.push(event);
      else if (!BLANK_LINE.test(line)) malformed++;
    }
    lineStart = newline + 1;
  }
  return { events, malformed };
}

function parseLinesOfBytes(buffer: Buffer, end: number, decoder: TextDecoder): Omit<EventChunk, 'nextOffset'> {
  const events: RunEvent[] = [];
  let malformed = 0;
  let lineStart = 0;
  while (lineStart < end) {
    const newline = buffer.indexOf(0x0a, lineStart);
    const length = newline - lineStart;
    if (length > MAX_EVENT_LINE_BYTES) {
      malformed++;
    } else if (length > 0) {
      let line: string | null;
      try {
        line = decoder.decode(buffer.subarray(lineStart, newline));
      } catch {
        line = null;
      }
      const event = line === null ? null : (readCompactMetricLine(line, 0, line.length) ?? parseEventText(line));
      if (event) events.push(event);
      else if (line === null || !BLANK_LINE.test(line)) malformed++;
    }
    lineStart = newline + 1;
  }
  return { events, malformed };
}

const BLANK_LINE = /^[ \t\r]*$/;

function parseEventText(text: string): RunEvent | null {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  const metric = metricFastPath(data);
  if (metric) return metric;
  const parsed = RunEventSchema.safeParse(data);
  return parsed.success ? parsed.data : null;
}

/**
 * Metric lines are nearly all of a run's events: this checks the common, well-formed case exactly as
 * MetricEventSchema would and builds the same object, several times faster. Anything it does not
 * accept (NaN strings, odd shapes, invalid values) goes through the schema, which has the last word.
 */
function metricFastPath(data: unknown): MetricEvent | null {
  if (typeof data !== 'object' || data === null) return null;
  const d = data as Record<string, unknown>;
  if (d.type !== 'metric') return null;
  // Points the launcher parsed from stdout carry `source`; the schema path keeps that field.
  if (d.source !== undefined) return null;
  const { key, value, step, ts } = d;
  if (typeof key !== 'string' || key.length < 1 || key.length > 250) return null;
  // JSON.parse turns 1e999 into Infinity, which the schema (like JSON itself) rejects.
  if (!Number.isFinite(value) || !Number.isFinite(ts)) return null;
  if (step === undefined) return { type: 'metric', key, value: value as number, ts: ts as number };
  if (step !== null && !Number.isSafeInteger(step)) return null;
  return { type: 'metric', key, value: value as number, step: step as number | null, ts: ts as number };
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
    const info = await stat(path);
    // A FIFO or device in its place would never end: it is no event log.
    if (!info.isFile()) return fromOffset;
    size = info.size;
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
