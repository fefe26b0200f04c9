import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { hashPath } from '../hashing/file-hash';
import { HashCache, hashCachePath } from '../hashing/hash-cache';
import {
  DERIVED_FROM_TAG,
  RETRAINED_FROM_TAG,
  RETRAIN_DEPLOYMENT_TAG,
  RETRAIN_REPORT_TAG,
} from '../lineage/load-graph';
import {
  PROTOCOL_VERSION,
  RunFile,
  TRACKSIDE_DIR,
  type ArtifactEvent,
  type ParamValue,
  type RunInfo,
} from '../runs/protocol';
import { readEventsFrom, readRunInfo, runsRoot } from '../runs/reader';
import { newRunId } from '../runs/run-id';
import { prepareRun } from '../runs/run-setup';
import { ReproduceError } from './errors';
import { addDetachedWorktree, applyPatch, removeWorktree, repositoryRoot } from './git-worktree';

/** The tag naming the worktree a reproduction ran in (so it can be found and removed later). */
export const REPRODUCE_WORKTREE_TAG = 'trackside.reproduce.worktree';
export const WORKTREES_DIR = 'worktrees';

export type InputState = 'unchanged' | 'changed' | 'missing' | 'unhashed';

export interface InputCheck {
  /** The input as the original run logged it. */
  path: string;
  /** Where the reproduction finds it: the worktree (tracked at the commit) or the workspace (untracked, linked in). */
  source: 'commit' | 'workspace' | 'outside';
  state: InputState;
  then: string | null;
  now: string | null;
}

export interface ReproducePlan {
  originalRunId: string;
  runId: string;
  worktree: string;
  cwd: string;
  /** The original command with paths into the repository moved into the worktree. */
  command: string[];
  /** Arguments of `trackside run` before `--`: `[...launcherArgs, '--', ...command]`. */
  launcherArgs: string[];
  inputs: InputCheck[];
  /** Things the user should know: the patch applied, untracked files brought in. */
  notes: string[];
}

export interface ReproduceOptions {
  workspaceRoot: string;
  runId: string;
  env?: NodeJS.ProcessEnv;
  /** Train again on new data: the run's input `input` (as it logged it) reads the file `replacement` instead. */
  retrain?: RetrainOptions;
}

export interface RetrainOptions {
  input: string;
  replacement: string;
  /** The drift report (workspace-relative) that asked for the retrain, linked in the lineage. */
  driftReport?: string;
  /** The deployment record that report is of. */
  deploymentId?: string;
}

/** Untracked files up to this size are copied into the worktree; larger ones (data) are linked. */
const COPY_LIMIT_BYTES = 1024 * 1024;

/**
 * Prepares a reproduction of a run: a git worktree at the run's commit under
 * `.trackside/worktrees/<newRunId>`, its uncommitted changes applied, files that were untracked at
 * the time brought in, and each input's hash compared with the one the run recorded. The new run's
 * folder is created ahead (queued, tagged as derived from the original) for the launcher to adopt
 * with `trackside run --run-id`.
 */
export async function prepareReproduction(options: ReproduceOptions): Promise<ReproducePlan> {
  const { workspaceRoot } = options;
  const originalDir = join(runsRoot(workspaceRoot), options.runId);
  if (!existsSync(originalDir))
    throw new ReproduceError('no-such-run', `run ${options.runId} is not in this workspace`);
  const info = await readRunInfo(originalDir);
  const commit = info.git?.commit;
  if (!commit) {
    throw new ReproduceError(
      'no-commit',
      `run ${info.name} was not started from a git commit, so its code cannot be restored — commit your code before training to make runs reproducible`,
    );
  }
  const repository = await repositoryRoot(existsSync(info.cwd) ? info.cwd : workspaceRoot);
  const runId = newRunId();
  const worktree = reproductionWorktree(workspaceRoot, runId);
  mkdirSync(dirname(worktree), { recursive: true });
  await addDetachedWorktree(repository, worktree, commit);
  const notes: string[] = [`checked out ${commit.slice(0, 12)} in ${relative(workspaceRoot, worktree)}`];

  const patch = join(originalDir, RunFile.patch);
  if (existsSync(patch) && statSync(patch).size > 0) {
    await applyPatch(worktree, patch);
    notes.push('applied the uncommitted changes the run started with (git.patch)');
  }
  const intoWorktree = (path: string): string | null => {
    const rel = relative(repository, path);
    return rel.startsWith('..') || isAbsolute(rel) ? null : join(worktree, rel);
  };
  for (const file of info.git?.untracked ?? []) {
    if (file.split('/').includes(TRACKSIDE_DIR)) continue;
    const source = join(repository, file);
    const target = join(worktree, file);
    if (!existsSync(source) || existsSync(target)) continue;
    bringIn(source, target);
    notes.push(`${file} was not committed: its current version is used`);
  }

  const inputs = await checkInputs(workspaceRoot, originalDir, intoWorktree);
  const cwd = intoWorktree(info.cwd) ?? info.cwd;
  let command = info.argv.map((arg) => (isAbsolute(arg) ? (intoWorktree(arg) ?? arg) : arg));
  if (options.retrain) {
    command = replaceInput(workspaceRoot, info, cwd, command, intoWorktree, inputs, options.retrain);
    notes.push(`${options.retrain.input} reads ${options.retrain.replacement}`);
  }
  await reserveReproduction(workspaceRoot, runId, info, {
    cwd,
    command,
    worktree,
    env: options.env,
    ...(options.retrain ? { retrain: options.retrain } : {}),
  });
  return {
    originalRunId: info.id,
    runId,
    worktree,
    cwd,
    command,
    launcherArgs: launcherArgs(workspaceRoot, runId, cwd, info, options.retrain !== undefined),
    inputs,
    notes,
  };
}

/**
 * Points the retrain's input at the new file. A path on the command line (as the run wrote it, or
 * absolute) is replaced there; an input inside the repository, which a script often names in its own
 * code, gets the new file's content at its place in the worktree (the workspace is never touched).
 */
function replaceInput(
  workspaceRoot: string,
  info: RunInfo,
  cwd: string,
  command: string[],
  intoWorktree: (path: string) => string | null,
  inputs: readonly InputCheck[],
  retrain: RetrainOptions,
): string[] {
  if (!inputs.some((i) => i.path === retrain.input)) {
    const logged = inputs.map((i) => i.path).join(', ') || 'none';
    throw new ReproduceError(
      'input-not-found',
      `run ${info.name} did not log ${retrain.input} as an input (its inputs: ${logged})`,
    );
  }
  if (!existsSync(retrain.replacement) || !statSync(retrain.replacement).isFile()) {
    throw new ReproduceError('input-not-found', `${retrain.replacement} is not a file: pick the new data file`);
  }
  const original = isAbsolute(retrain.input) ? retrain.input : join(workspaceRoot, ...retrain.input.split('/'));
  const replacement = resolve(retrain.replacement);
  let onCommandLine = false;
  const replaced = command.map((arg) => {
    const asPath = resolve(info.cwd, arg);
    if (asPath !== original && resolve(cwd, arg) !== intoWorktree(original)) return arg;
    onCommandLine = true;
    return replacement;
  });
  if (onCommandLine) return replaced;
  const inWorktree = intoWorktree(original);
  if (!inWorktree) {
    throw new ReproduceError(
      'input-not-found',
      `${retrain.input} is outside the repository and not on the command line of ${info.name}: pass the data path as a param (e.g. --data) to retrain on another file`,
    );
  }
  rmSync(inWorktree, { force: true });
  mkdirSync(dirname(inWorktree), { recursive: true });
  copyFileSync(replacement, inWorktree);
  return command;
}

function bringIn(source: string, target: string): void {
  mkdirSync(dirname(target), { recursive: true });
  const info = statSync(source);
  // Source files are copied (Python resolves a linked script to its real folder, which would import
  // the workspace's modules); big untracked files are data, linked rather than duplicated.
  if (info.isFile() && info.size <= COPY_LIMIT_BYTES) copyFileSync(source, target);
  else symlinkSync(source, target);
}

async function inputArtifacts(runDir: string): Promise<ArtifactEvent[]> {
  const inputs = new Map<string, ArtifactEvent>();
  await readEventsFrom(runDir, 0, (chunk) => {
    for (const event of chunk.events)
      if (event.type === 'artifact' && event.role === 'input') inputs.set(event.path, event);
  });
  return [...inputs.values()];
}

async function checkInputs(
  workspaceRoot: string,
  originalDir: string,
  intoWorktree: (path: string) => string | null,
): Promise<InputCheck[]> {
  const cache = await HashCache.load(hashCachePath(workspaceRoot));
  const checks: InputCheck[] = [];
  for (const input of await inputArtifacts(originalDir)) {
    const inWorkspace = isAbsolute(input.path) ? input.path : join(workspaceRoot, ...input.path.split('/'));
    const inWorktree = intoWorktree(inWorkspace);
    let source: InputCheck['source'] = 'outside';
    let readFrom = inWorkspace;
    if (inWorktree && existsSync(inWorktree)) {
      source = 'commit';
      readFrom = inWorktree;
    } else if (inWorktree) {
      source = 'workspace';
      // The data was not committed: the reproduction reads today's file, linked into the worktree.
      if (existsSync(inWorkspace)) bringIn(inWorkspace, inWorktree);
    }
    // Missing (or unreadable) now: null.
    const now = await hashPath(readFrom, cache).then(
      (hash) => hash.sha256,
      () => null,
    );
    const then = input.sha256 ?? null;
    const state: InputState =
      now === null ? 'missing' : then === null ? 'unhashed' : now === then ? 'unchanged' : 'changed';
    checks.push({ path: input.path, source, state, then, now });
  }
  await cache.save().catch(() => undefined);
  return checks;
}

async function reserveReproduction(
  workspaceRoot: string,
  runId: string,
  original: RunInfo,
  plan: { cwd: string; command: string[]; worktree: string; env?: NodeJS.ProcessEnv; retrain?: RetrainOptions },
): Promise<void> {
  const env = { ...(plan.env ?? process.env) };
  // Started from the editor or a terminal, never as a child of another tracked run.
  delete env.TRACKSIDE_RUN_ID;
  const run = await prepareRun({
    command: plan.command,
    cwd: plan.cwd,
    workspaceRoot,
    experiment: original.experiment,
    name: reproductionName(original.name, plan.retrain !== undefined),
    params: launchParams(original.params),
    env,
    runId,
  });
  const events = run.folder.openEvents();
  const ts = Date.now() / 1000;
  events.appendAll([
    plan.retrain
      ? { type: 'tag', key: RETRAINED_FROM_TAG, value: original.id, ts }
      : { type: 'tag', key: DERIVED_FROM_TAG, value: original.id, ts },
    ...(plan.retrain?.driftReport
      ? [{ type: 'tag' as const, key: RETRAIN_REPORT_TAG, value: plan.retrain.driftReport, ts }]
      : []),
    ...(plan.retrain?.deploymentId
      ? [{ type: 'tag' as const, key: RETRAIN_DEPLOYMENT_TAG, value: plan.retrain.deploymentId, ts }]
      : []),
    {
      type: 'tag',
      key: REPRODUCE_WORKTREE_TAG,
      value: relative(workspaceRoot, plan.worktree).split(sep).join('/'),
      ts,
    },
  ]);
  events.close();
  await run.folder.writeStatus({
    version: PROTOCOL_VERSION,
    status: 'queued',
    pid: null,
    exitCode: null,
    signal: null,
    startedAt: run.info.createdAt,
    endedAt: null,
    message: `${plan.retrain ? 'retraining' : 'reproducing'} ${original.name}`,
  });
}

function reproductionName(name: string, retrain: boolean): string {
  return `${name}-${retrain ? 'retrain' : 'repro'}`;
}

/** The original's params, as `--param` values: null has no command-line form and is left out. */
function launchParams(params: Record<string, ParamValue>): Record<string, ParamValue> {
  return Object.fromEntries(Object.entries(params).filter(([, value]) => value !== null));
}

function launcherArgs(workspaceRoot: string, runId: string, cwd: string, info: RunInfo, retrain: boolean): string[] {
  const args = ['--run-id', runId, '--workspace', workspaceRoot, '--cwd', cwd];
  args.push('--experiment', info.experiment, '--name', reproductionName(info.name, retrain));
  for (const [key, value] of Object.entries(launchParams(info.params))) args.push('--param', `${key}=${String(value)}`);
  return args;
}

export interface LaunchReproductionOptions {
  /** The bundled CLI (`dist/cli.js`). */
  cliPath: string;
  /** The Node runtime that runs it (default: this process's). */
  nodePath?: string;
  /** Options for that runtime before the CLI path (a loader when running from source). */
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /** Where the run's output goes (default: inherited). */
  stdio?: 'inherit' | 'ignore';
}

/** Runs the prepared reproduction through the launcher as a child process; resolves with its exit code. */
export function launchReproduction(plan: ReproducePlan, options: LaunchReproductionOptions): Promise<number> {
  const child = spawn(
    options.nodePath ?? process.execPath,
    [...(options.nodeArgs ?? []), options.cliPath, 'run', ...plan.launcherArgs, '--', ...plan.command],
    { cwd: plan.cwd, env: reproductionEnvironment(options.env ?? process.env), stdio: options.stdio ?? 'inherit' },
  );
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

function reproductionEnvironment(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, ELECTRON_RUN_AS_NODE: '1' };
  // Not a child of whatever tracked run this process may be part of: it derives from the original.
  delete env.TRACKSIDE_RUN_ID;
  delete env.TRACKSIDE_RUN_DIR;
  return env;
}

/** Where the reproduction run `runId` checks out its code. */
export function reproductionWorktree(workspaceRoot: string, runId: string): string {
  return join(workspaceRoot, TRACKSIDE_DIR, WORKTREES_DIR, runId);
}

/**
 * Removes the worktree a reproduction run trained in, if it has one (when the run is deleted: the
 * worktree is kept until then so its code can be read). Resolves with whether there was one.
 */
export async function removeReproductionWorktree(workspaceRoot: string, runId: string): Promise<boolean> {
  const worktree = reproductionWorktree(workspaceRoot, runId);
  if (!existsSync(worktree)) return false;
  await removeWorktree(worktree);
  return true;
}

/** Undoes a prepared reproduction the user decided not to run: its worktree and its queued run folder. */
export async function discardReproduction(workspaceRoot: string, plan: ReproducePlan): Promise<void> {
  await removeWorktree(plan.worktree);
  await rm(join(runsRoot(workspaceRoot), plan.runId), { recursive: true, force: true });
}
