import { readFile } from 'node:fs/promises';
import { extname, isAbsolute, join } from 'node:path';
import { hashPathCached } from '../hashing/hash-cache';
import type { DeploymentRecord } from '../deploy/records';
import { DEPLOYMENT_MODEL_VERSION_LABEL } from '../lineage/load-graph';
import { MODELS_JOURNAL, ModelEventSchema, journalPath, readJournalFrom } from '../models/journal';
import type { ArtifactEvent } from '../runs/protocol';
import { readEventsFrom, runsRoot } from '../runs/reader';
import { MonitoringError } from './errors';

/**
 * The reference a deployment's live inputs are compared with: the training data its model's run
 * logged as an input, found through the chain deployment → model version → run → input artifact.
 * The chain is read from the files that are the truth (the models journal and the run folder), so it
 * needs no index.
 */

export interface ReferenceColumn {
  name: string;
  kind: 'numeric' | 'categorical';
  /** Numeric columns: one value per row, NaN where the cell is empty. */
  numbers?: Float64Array;
  /** Categorical columns: one value per row, null where the cell is empty. */
  texts?: (string | null)[];
}

export interface ReferenceTable {
  path: string;
  rows: number;
  columns: ReferenceColumn[];
}

export interface ReferenceSource {
  /** As the run logged it: workspace-relative, or absolute outside the workspace. */
  path: string;
  absolutePath: string;
  modelVersion: string | null;
  runId: string | null;
  /** The content hash the run logged, and whether the file still has it. */
  sha256: string | null;
  changedSinceLogged: boolean | null;
  /** Other CSV inputs of the run, not used. */
  otherInputs: string[];
}

const MISSING = new Set(['', 'na', 'nan', 'null', 'none']);

/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks; CRLF or LF. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.length > 1 || r[0] !== '');
}

/** The same category whether it was written `3`, `3.0` or ` 3 `. */
export function normalizeCategory(value: string | number): string {
  const text = String(value).trim();
  const number = text === '' ? Number.NaN : Number(text);
  return Number.isFinite(number) ? String(number) : text;
}

/**
 * A CSV's columns: numeric when every present cell is a number, categorical otherwise (or when named
 * in `categorical`, for categories written as codes).
 */
export function referenceTableFromCsv(text: string, path: string, categorical: readonly string[] = []): ReferenceTable {
  const [header, ...rows] = parseCsv(text);
  if (!header || header.length === 0) throw new MonitoringError('unreadable', `${path} has no header row`);
  const columns = header.map((name, c): ReferenceColumn => {
    const cells = rows.map((r) => (r[c] ?? '').trim());
    const numbers = new Float64Array(cells.length);
    let numeric = !categorical.includes(name);
    for (let i = 0; numeric && i < cells.length; i++) {
      const cell = cells[i]!;
      if (MISSING.has(cell.toLowerCase())) numbers[i] = Number.NaN;
      else {
        numbers[i] = Number(cell);
        if (!Number.isFinite(numbers[i]!)) numeric = false;
      }
    }
    if (numeric) return { name, kind: 'numeric', numbers };
    return {
      name,
      kind: 'categorical',
      texts: cells.map((cell) => (MISSING.has(cell.toLowerCase()) ? null : normalizeCategory(cell))),
    };
  });
  return { path, rows: rows.length, columns };
}

export async function readReferenceCsv(path: string, categorical: readonly string[] = []): Promise<ReferenceTable> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new MonitoringError('unreadable', `cannot read the reference data ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return referenceTableFromCsv(text, path, categorical);
}

/** `name@version` of the model version a deployment serves: its label, else the push of its digest. */
function modelVersionOf(workspaceRoot: string, record: DeploymentRecord): string | null {
  const label = record.labels?.[DEPLOYMENT_MODEL_VERSION_LABEL];
  if (label) return label;
  const { records } = readJournalFrom(journalPath(workspaceRoot, MODELS_JOURNAL), 0, ModelEventSchema);
  for (const event of records) {
    if (event.type === 'pushed' && event.digest === record.digest) return `${event.name}@${event.version}`;
  }
  return null;
}

function runOfVersion(workspaceRoot: string, modelVersion: string): string | null {
  const at = modelVersion.lastIndexOf('@');
  const name = modelVersion.slice(0, at);
  const version = Number(modelVersion.slice(at + 1));
  const { records } = readJournalFrom(journalPath(workspaceRoot, MODELS_JOURNAL), 0, ModelEventSchema);
  for (const event of records) {
    if (event.type === 'registered' && event.name === name && event.version === version) return event.runId;
  }
  return null;
}

async function runInputs(workspaceRoot: string, runId: string): Promise<ArtifactEvent[]> {
  const inputs = new Map<string, ArtifactEvent>();
  await readEventsFrom(join(runsRoot(workspaceRoot), runId), 0, (chunk) => {
    for (const event of chunk.events) {
      if (event.type === 'artifact' && event.role === 'input') inputs.set(event.path, event);
    }
  });
  return [...inputs.values()];
}

/** Finds the CSV the deployment's model was trained on, or says which link of the chain is missing. */
export async function referenceForDeployment(
  workspaceRoot: string,
  record: DeploymentRecord,
): Promise<ReferenceSource> {
  const modelVersion = modelVersionOf(workspaceRoot, record);
  if (!modelVersion) {
    throw new MonitoringError(
      'no-reference',
      `${record.name} serves ${record.digest.slice(0, 19)}…, which is not the push of a registered model version`,
    );
  }
  const runId = runOfVersion(workspaceRoot, modelVersion);
  if (!runId)
    throw new MonitoringError('no-reference', `model version ${modelVersion} is not in .trackside/models.jsonl`);
  const csvInputs = (await runInputs(workspaceRoot, runId)).filter((a) => extname(a.path).toLowerCase() === '.csv');
  // A data set the run said is one comes before any other CSV file it read.
  csvInputs.sort((a, b) => Number(b.kind === 'dataset') - Number(a.kind === 'dataset'));
  const chosen = csvInputs[0];
  if (!chosen) {
    throw new MonitoringError(
      'no-reference',
      `run ${runId} (which trained ${modelVersion}) logged no CSV file as an input`,
    );
  }
  const absolutePath = isAbsolute(chosen.path) ? chosen.path : join(workspaceRoot, chosen.path);
  let changedSinceLogged: boolean | null = null;
  if (chosen.sha256) {
    const now = await hashPathCached(workspaceRoot, absolutePath).catch(() => null);
    changedSinceLogged = now === null ? null : now.sha256 !== chosen.sha256;
  }
  return {
    path: chosen.path,
    absolutePath,
    modelVersion,
    runId,
    sha256: chosen.sha256 ?? null,
    changedSinceLogged,
    otherInputs: csvInputs.slice(1).map((a) => a.path),
  };
}
