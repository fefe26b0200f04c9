import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeJsonAtomic } from '../runs/atomic-write';
import { UserError } from '../user-error';

/**
 * What the user adds to a run after the fact: tags and a note. The training process owns
 * events.jsonl, so edits made in the editor go to their own file in the run folder,
 * `annotations.json`, replaced atomically on every save. It travels with the folder like the rest.
 */

export const ANNOTATIONS_FILE = 'annotations.json';

export const RunAnnotationsSchema = z.object({
  version: z.literal(1),
  /** A name the user gave the run, shown instead of the generated one. */
  name: z.string().min(1).max(200).optional(),
  tags: z.record(z.string().min(1).max(200), z.string().max(2000)),
  note: z.string().max(100_000),
  updatedAt: z.string().nullable(),
});
export type RunAnnotations = z.infer<typeof RunAnnotationsSchema>;

export class AnnotationsError extends UserError {
  constructor(
    readonly path: string,
    readonly reason: 'malformed' | 'unreadable',
    detail: string,
  ) {
    super(detail);
    this.name = 'AnnotationsError';
  }
}

export function emptyAnnotations(): RunAnnotations {
  return { version: 1, tags: {}, note: '', updatedAt: null };
}

/** The run's annotations; empty when it has none yet. */
export async function readAnnotations(runDir: string): Promise<RunAnnotations> {
  const path = join(runDir, ANNOTATIONS_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyAnnotations();
    throw new AnnotationsError(path, 'unreadable', `cannot read ${path}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new AnnotationsError(path, 'malformed', `${path} is not JSON: ${(error as Error).message}`);
  }
  const parsed = RunAnnotationsSchema.safeParse(data);
  if (!parsed.success) {
    throw new AnnotationsError(
      path,
      'malformed',
      `${path} does not fit its schema: ${parsed.error.issues[0]?.message}`,
    );
  }
  return parsed.data;
}

export async function writeAnnotations(
  runDir: string,
  edit: { name?: string; tags: Record<string, string>; note: string },
  now: Date = new Date(),
): Promise<RunAnnotations> {
  const annotations = RunAnnotationsSchema.parse({ version: 1, ...edit, updatedAt: now.toISOString() });
  await writeJsonAtomic(join(runDir, ANNOTATIONS_FILE), annotations);
  return annotations;
}
