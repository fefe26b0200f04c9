import { resolve } from 'node:path';
import { captureGit } from '../git/capture';
import { describeCommand, defaultExperiment, paramsFromArgs, readableRunName, type CommandShape } from './command-line';
import { captureEnvironment } from './environment';
import { RunFolder } from './folder';
import { PROTOCOL_VERSION } from './folder-layout';
import type { ParamValue, RunInfo } from './protocol';
import { newRunId } from './run-id';
import { findWorkspaceRoot } from './workspace';

/** What a run is started with, before any process exists. */
export interface RunSetupOptions {
  command: readonly string[];
  cwd?: string;
  /** The folder whose `.trackside/` receives the run; defaults to the nearest one above cwd. */
  workspaceRoot?: string;
  experiment?: string;
  name?: string;
  /** Explicit params (`--param k=v`); they win over params read from the script's argv. */
  params?: Record<string, ParamValue>;
  /** Python import names whose versions are recorded. */
  packages?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /**
   * Adopts a run folder created ahead of the start (a queued run, a Slurm job waiting on a node):
   * the run keeps that id and the events already appended there (a sweep's tags).
   */
  runId?: string;
}

export interface PreparedRun {
  id: string;
  folder: RunFolder;
  workspaceRoot: string;
  cwd: string;
  shape: CommandShape;
  info: RunInfo;
}

/**
 * Creates the run folder and writes run.json. Git and the environment are captured in parallel,
 * each bounded by a timeout, so a slow git or interpreter delays the start by at most that long
 * (typically ~70 ms for a Python probe, overlapping git).
 */
export async function prepareRun(options: RunSetupOptions): Promise<PreparedRun> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const workspaceRoot = resolve(options.workspaceRoot ?? findWorkspaceRoot(cwd));
  const env = options.env ?? process.env;
  const id = options.runId ?? newRunId();
  const createdAt = new Date().toISOString();
  const folder = RunFolder.create(workspaceRoot, id);
  const shape = describeCommand(options.command, cwd);
  const [git, environment] = await Promise.all([
    captureGit(cwd, { patchPath: folder.path('patch'), timeoutMs: 10_000 }),
    captureEnvironment({ shape, cwd, env, packages: options.packages, timeoutMs: 5_000 }),
  ]);
  const info: RunInfo = {
    version: PROTOCOL_VERSION,
    id,
    experiment: options.experiment || defaultExperiment(shape, options.command),
    name: options.name || readableRunName(id),
    argv: [...options.command],
    cwd,
    script: shape.script && !shape.scriptIsModule ? resolve(cwd, shape.script) : shape.script,
    createdAt,
    git: git?.info ?? null,
    environment,
    params: { ...paramsFromArgs(shape.scriptArgs), ...options.params },
    // A run started from inside another tracked run (a sweep driver) is its child.
    parentRunId: env.TRACKSIDE_RUN_ID || null,
    placement: env.SLURM_JOB_ID
      ? { kind: 'slurm', jobId: env.SLURM_JOB_ID, node: env.SLURMD_NODENAME ?? null }
      : { kind: 'local', jobId: null, node: null },
  };
  await folder.writeInfo(info);
  return { id, folder, workspaceRoot, cwd, shape, info };
}
