import { appendFileSync, mkdirSync, openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { TRACKSIDE_DIR } from '../runs/protocol';

/**
 * The journals that are the truth for what is not a run: model registrations and alias moves
 * (`.trackside/models.jsonl`) and the audit log (`.trackside/audit.jsonl`). Both are append-only,
 * one JSON object per line, appended whole through O_APPEND so two windows never interleave. The
 * index tables are rebuilt from them, so a `trackside reindex` (or a deleted index.db) loses nothing.
 */

export const MODELS_JOURNAL = 'models.jsonl';
export const AUDIT_JOURNAL = 'audit.jsonl';
export const JOURNAL_VERSION = 1;

export function journalPath(workspaceRoot: string, file: typeof MODELS_JOURNAL | typeof AUDIT_JOURNAL): string {
  return join(workspaceRoot, TRACKSIDE_DIR, file);
}

export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Aliases are names too, but never bare numbers: `@3` must always mean version 3. */
export const ALIAS_PATTERN = /^(?!\d+$)[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/);

const Stamp = {
  v: z.literal(JOURNAL_VERSION),
  at: z.string(),
  actor: z.string(),
};

export const ModelRegisteredSchema = z.object({
  ...Stamp,
  type: z.literal('registered'),
  name: z.string().regex(MODEL_NAME_PATTERN),
  version: z.number().int().positive(),
  runId: z.string().min(1),
  artifactPath: z.string().min(1),
  sha256: Sha256Schema.nullable(),
  size: z.number().int().nonnegative().nullable(),
});
export const AliasSetSchema = z.object({
  ...Stamp,
  type: z.literal('alias-set'),
  name: z.string(),
  alias: z.string().regex(ALIAS_PATTERN),
  version: z.number().int().positive(),
  /** The version the alias pointed at before, if any. */
  previous: z.number().int().positive().nullable(),
});
export const AliasRemovedSchema = z.object({
  ...Stamp,
  type: z.literal('alias-removed'),
  name: z.string(),
  alias: z.string(),
  previous: z.number().int().positive().nullable(),
});
export const ModelPushedSchema = z.object({
  ...Stamp,
  type: z.literal('pushed'),
  name: z.string(),
  version: z.number().int().positive(),
  registry: z.string().min(1),
  repository: z.string().min(1),
  tag: z.string().nullable(),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
});

export const ModelEventSchema = z.discriminatedUnion('type', [
  ModelRegisteredSchema,
  AliasSetSchema,
  AliasRemovedSchema,
  ModelPushedSchema,
]);
export type ModelEvent = z.infer<typeof ModelEventSchema>;
export type ModelRegistered = z.infer<typeof ModelRegisteredSchema>;

export const AuditEntrySchema = z.object({
  ...Stamp,
  /** What happened, e.g. `model.register`, `model.alias.set`, `model.push`, `deploy`. */
  action: z.string().min(1),
  /** What it happened to, e.g. `digits-logreg@3`. */
  subject: z.string(),
  detail: z.record(z.string(), z.unknown()).default({}),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

/** Appends one record as one line; the directory is created on first use. */
export function appendJournalLine(path: string, record: object): void {
  mkdirSync(dirname(path), { recursive: true });
  appendFileSync(path, `${JSON.stringify(record)}\n`);
}

export interface JournalChunk<T> {
  records: T[];
  /** Byte offset just past the last complete line; a torn last line waits for its writer. */
  nextOffset: number;
  /** Complete lines that did not parse or fit the schema (skipped, counted). */
  malformed: number;
}

/** Reads the complete lines of a journal from a byte offset to its end. A missing file is empty. */
export function readJournalFrom<T>(path: string, fromOffset: number, schema: z.ZodType<T>): JournalChunk<T> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return { records: [], nextOffset: fromOffset, malformed: 0 };
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    // A journal shorter than the stored offset was replaced (restored from a backup): start over.
    if (size < fromOffset) return { records: [], nextOffset: -1, malformed: 0 };
    const buffer = Buffer.alloc(size - fromOffset);
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, fromOffset + read);
      if (n === 0) break;
      read += n;
    }
    const end = buffer.lastIndexOf(0x0a, read - 1) + 1;
    const records: T[] = [];
    let malformed = 0;
    for (const line of buffer.subarray(0, end).toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      let data: unknown;
      try {
        data = JSON.parse(line);
      } catch {
        malformed++;
        continue;
      }
      const parsed = schema.safeParse(data);
      if (parsed.success) records.push(parsed.data);
      else malformed++;
    }
    return { records, nextOffset: fromOffset + end, malformed };
  } finally {
    closeSync(fd);
  }
}
