import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { IngestAllResult } from '../core/runs/ingest';
import { catchUp } from '../core/workspace/workspace';
import { describeRecovery, IndexStore } from '../core/store/database';
import { findExistingWorkspaceRoot } from '../core/runs/workspace';
import { TRACKSIDE_DIR } from '../core/runs/protocol';
import { CliError } from './errors';

export const START_A_RUN = 'start one with `trackside run -- python train.py`';

/** The workspace of `--workspace`, or the nearest folder above the working directory with a `.trackside/`. */
export function resolveWorkspace(flag: string | undefined, cwd = process.cwd()): string {
  if (flag !== undefined) {
    const root = resolve(cwd, flag);
    if (!existsSync(resolve(root, TRACKSIDE_DIR))) throw new CliError(`no runs in ${root}: ${START_A_RUN}`);
    return root;
  }
  const root = findExistingWorkspaceRoot(cwd);
  if (!root) throw new CliError(`no runs in ${cwd} or any folder above it: ${START_A_RUN}`);
  return root;
}

/** Opens (creating and migrating as needed) the workspace index; its errors are user errors, printed as one line. */
export function openIndex(workspaceRoot: string): IndexStore {
  const store = IndexStore.openWorkspace(workspaceRoot);
  const recovery = describeRecovery(store);
  if (recovery) process.stderr.write(`trackside: ${recovery}\n`);
  return store;
}

/**
 * Opens the workspace index and catches it up with the run folders and journals first, so every
 * command answers from the current state even when no editor is watching.
 */
export async function openCurrentIndex(workspaceRoot: string): Promise<{ store: IndexStore; ingest: IngestAllResult }> {
  const store = openIndex(workspaceRoot);
  try {
    const ingest = await catchUp(store, workspaceRoot);
    return { store, ingest };
  } catch (error) {
    store.close();
    throw error;
  }
}

/** "node:sqlite, SQLite 3.54.1": which library holds the index, as `ls`, `show` and `reindex` print it. */
export function describeDriver(store: IndexStore): string {
  return `${store.driver.name}, SQLite ${store.driver.sqliteVersion}`;
}

/** Warns once per run the index had to leave out, so a broken run.json never passes silently. */
export function reportInvalidRuns(ingest: IngestAllResult, write = (s: string) => process.stderr.write(s)): void {
  for (const { runId, problem } of ingest.invalid) write(`trackside: skipped run ${runId}: ${problem}\n`);
}

/** Prints the usage when `--help` was given; the command then exits 0. */
export function printedHelp(values: { help?: boolean }, usage: string): boolean {
  if (!values.help) return false;
  process.stdout.write(`${usage}\n`);
  return true;
}

/** `util.parseArgs`, with its errors turned into a usage error (exit code 2). */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
  usage: string,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${usage}`, 2);
  }
}
