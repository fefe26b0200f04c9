import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { SweepDefinitionSchema, type SweepDefinition } from './definition';
import { UserError } from '../user-error';

export interface SweepFileIssue {
  /** Where in the file: `params.lr.min`, or `(file)` for a syntax error. */
  path: string;
  message: string;
  /** 1-based line, when known. */
  line: number | null;
}

/** A sweep file that cannot be read, parsed or validated; `issues` lists every problem found. */
export class SweepFileError extends UserError {
  constructor(
    readonly file: string,
    readonly reason: 'unreadable' | 'syntax' | 'invalid',
    readonly issues: SweepFileIssue[],
  ) {
    super(
      `${file}: ${issues.map((i) => `${i.line ? `line ${i.line}: ` : ''}${i.path === '(file)' ? '' : `${i.path}: `}${i.message}`).join('; ')}`,
    );
    this.name = 'SweepFileError';
  }
}

/** `*.sweep.yaml` / `*.sweep.yml` are YAML; anything else (`*.sweep.json`) is JSON. */
export function isYamlFile(path: string): boolean {
  return /\.ya?ml$/i.test(path);
}

export async function loadSweepFile(path: string): Promise<SweepDefinition> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new SweepFileError(path, 'unreadable', [{ path: '(file)', message: (error as Error).message, line: null }]);
  }
  return parseSweepText(text, path);
}

/** Parses and validates a sweep definition; errors carry the field path and, for YAML, the line. */
export function parseSweepText(text: string, file: string): SweepDefinition {
  let data: unknown;
  let lineOf: (path: readonly PropertyKey[]) => number | null = () => null;
  if (isYamlFile(file)) {
    const doc = parseDocument(text, { prettyErrors: true });
    if (doc.errors.length > 0) {
      throw new SweepFileError(
        file,
        'syntax',
        doc.errors.map((e) => ({
          path: '(file)',
          message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''),
          line: e.linePos?.[0]?.line ?? null,
        })),
      );
    }
    data = doc.toJS();
    const lines = lineStarts(text);
    lineOf = (path) => {
      const node = doc.getIn(path as unknown[], true) as { range?: [number, number, number] } | undefined;
      const offset = node?.range?.[0];
      return offset === undefined ? null : lineAt(lines, offset);
    };
  } else {
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new SweepFileError(file, 'syntax', [{ path: '(file)', message: (error as Error).message, line: null }]);
    }
  }
  const parsed = SweepDefinitionSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  throw new SweepFileError(file, 'invalid', issuesOf(parsed.error, lineOf));
}

function issuesOf(error: z.ZodError, lineOf: (path: readonly PropertyKey[]) => number | null): SweepFileIssue[] {
  return error.issues.flatMap(specific).map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
    // A missing field has no node of its own: point at the object that lacks it (not the whole file).
    line: lineOf(issue.path) ?? (issue.path.length > 1 ? lineOf(issue.path.slice(0, -1)) : null),
  }));
}

/**
 * "Invalid input" on a union says nothing; the branch that got furthest (fewest issues) says what
 * is wrong, e.g. `params.lr.max: expected number` for a range with a string max.
 */
function specific(issue: z.core.$ZodIssue): { path: PropertyKey[]; message: string }[] {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue];
  const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0]!;
  return closest.flatMap((inner) => specific({ ...inner, path: [...issue.path, ...inner.path] } as z.core.$ZodIssue));
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

function lineAt(starts: number[], offset: number): number {
  let line = 0;
  while (line + 1 < starts.length && starts[line + 1]! <= offset) line++;
  return line + 1;
}
