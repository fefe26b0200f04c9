import { resolve } from 'node:path';
import { captureGit, type GitCapture } from '../git/capture';
import { describeCommand, defaultExperiment, paramsFromArgs, readableRunName, type CommandShape } from './command-line';
import { captureEnvironment, environmentBeforeProbe, environmentNeedsProbe, loadProbeSchema } from './environment';
import { RunFolder } from './folder';
import { PROTOCOL_VERSION } from './folder-layout';
import type { Environment, ParamValue, RunInfo } from './protocol';
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

/** A run whose run.json exists while its environment may still be being probed. */
export interface StartingRun extends PreparedRun {
  /**
   * Settles once run.json is complete, with what it then holds. For a Python command the package
   * probe finishes after the start and run.json is written again (atomically) with its result;
   * otherwise it is complete at once. Never rejects: a failed probe or rewrite leaves the first
   * run.json, which is valid on its own.
   */
  completed: Promise<RunInfo>;
}

/** Bounds git on a huge work tree; the run waits for it before its command starts. */
const GIT_TIMEOUT_MS = 10_000;
const PROBE_TIMEOUT_MS = 5_000;

interface RunBasics {
  id: string;
  folder: RunFolder;
  workspaceRoot: string;
  cwd: string;
  shape: CommandShape;
  env: NodeJS.ProcessEnv;
  createdAt: string;
}

function setUp(options: RunSetupOptions): RunBasics {
  const cwd = resolve(options.cwd ?? process.cwd());
  const workspaceRoot = resolve(options.workspaceRoot ?? findWorkspaceRoot(cwd));
  const id = options.runId ?? newRunId();
  return {
    id,
    cwd,
    workspaceRoot,
    env: options.env ?? process.env,
    createdAt: new Date().toISOString(),
    folder: RunFolder.create(workspaceRoot, id),
    shape: describeCommand(options.command, cwd),
  };
}

function probeEnvironment(run: RunBasics, options: RunSetupOptions): Promise<Environment> {
  return captureEnvironment({
    shape: run.shape,
    cwd: run.cwd,
    env: run.env,
    packages: options.packages,
    timeoutMs: PROBE_TIMEOUT_MS,
  });
}

function runInfo(run: RunBasics, options: RunSetupOptions, git: GitCapture | null, environment: Environment): RunInfo {
  const { shape, cwd, env } = run;
  return {
    version: PROTOCOL_VERSION,
    id: run.id,
    experiment: options.experiment || defaultExperiment(shape, options.command),
    name: options.name || readableRunName(run.id),
    argv: [...options.command],
    cwd,
    script: shape.script && !shape.scriptIsModule ? resolve(cwd, shape.script) : shape.script,
    createdAt: run.createdAt,
    git: git?.info ?? null,
    environment,
    params: { ...paramsFromArgs(shape.scriptArgs), ...options.params },
    // A run started from inside another tracked run (a sweep driver) is its child.
    parentRunId: env.TRACKSIDE_RUN_ID || null,
    placement: env.SLURM_JOB_ID
      ? { kind: 'slurm', jobId: env.SLURM_JOB_ID, node: env.SLURMD_NODENAME ?? null }
      : { kind: 'local', jobId: null, node: null },
  };
}

/**
 * Creates the run folder and writes run.json complete: git and the environment are captured in
 * parallel, each bounded by a timeout. For runs created ahead of their start (queued, Slurm,
 * reproductions), where nothing waits on the command.
 */
export async function prepareRun(options: RunSetupOptions): Promise<PreparedRun> {
  const run = setUp(options);
  const [git, environment] = await Promise.all([
    captureGit(run.cwd, { patchPath: run.folder.path('patch'), timeoutMs: GIT_TIMEOUT_MS }),
    probeEnvironment(run, options),
  ]);
  const info = runInfo(run, options, git, environment);
  await run.folder.writeInfo(info);
  return { id: run.id, folder: run.folder, workspaceRoot: run.workspaceRoot, cwd: run.cwd, shape: run.shape, info };
}

/**
 * Creates the run folder and writes run.json as soon as the command may start. Git is captured
 * first, because the command could change the work tree it describes (a written file would show as
 * untracked, an edited one in the patch). The interpreter probe (~70 ms of Python start) cannot be
 * changed by the command, so it goes on while the command runs: `completed` says when run.json
 * holds its result.
 */
export async function beginRun(options: RunSetupOptions): Promise<StartingRun> {
  const run = setUp(options);
  const probe = environmentNeedsProbe(run.shape) ? probeEnvironment(run, options) : null;
  let probed: Environment | null = null;
  void probe?.then((environment) => (probed = environment));
  const git = await captureGit(run.cwd, { patchPath: run.folder.path('patch'), timeoutMs: GIT_TIMEOUT_MS });
  const info = runInfo(run, options, git, probed ?? environmentBeforeProbe(run.shape));
  run.folder.writeInfoSync(info);
  // The caller starts the command as soon as this returns, in this same turn of the event loop: the
  // probe's schema is loaded right after, while both run.
  if (probe !== null && probed === null) setImmediate(() => void loadProbeSchema().catch(() => undefined));
  const completed =
    probe === null || probed !== null
      ? Promise.resolve(info)
      : probe
          .then(async (environment) => {
            if (JSON.stringify(environment) === JSON.stringify(info.environment)) return info;
            const complete: RunInfo = { ...info, environment };
            await run.folder.writeInfo(complete);
            return complete;
          })
          .catch(() => info);
  return {
    id: run.id,
    folder: run.folder,
    workspaceRoot: run.workspaceRoot,
    cwd: run.cwd,
    shape: run.shape,
    info,
    completed,
  };
}
