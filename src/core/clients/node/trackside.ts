import { basename, dirname, extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { captureGitSync } from '../../git/capture-sync';
import { hashPathCached } from '../../hashing/hash-cache';
import { defaultExperiment, describeCommand, paramsFromArgs, readableRunName } from '../../runs/command-line';
import { baseEnvironment } from '../../runs/environment';
import { RunFolder, type EventAppender } from '../../runs/folder';
import {
  PROTOCOL_VERSION,
  type ParamValue,
  type RunEvent,
  type RunInfo,
  type RunStatusValue,
} from '../../runs/protocol';
import { newRunId } from '../../runs/run-id';
import { findWorkspaceRoot } from '../../runs/workspace';
import { OwnRunWatch, type ProcessEnding } from './own-run-watch';

/**
 * The Node/TypeScript client: the Python client's API in camelCase, writing the same run-folder
 * files. Inside `trackside run` it logs into $TRACKSIDE_RUN_DIR; otherwise the first call creates
 * a run under the nearest `.trackside/`, copies the program's output into its output.log and, when
 * the process exits, records its exit code (failed with the error of an uncaught exception).
 * Logging never throws: a failure prints one warning per kind of call and the program goes on.
 */

export type ArtifactKind = 'file' | 'model' | 'dataset';
export type MetricValue = number | bigint | boolean | { valueOf(): number };

export interface StartRunOptions {
  experiment?: string;
  name?: string;
  params?: Record<string, unknown>;
  /** Working folder the run belongs to (default: process.cwd()). */
  cwd?: string;
}

const warned = new Set<string>();

function warnOnce(kind: string, error: unknown): void {
  if (warned.has(kind)) return;
  warned.add(kind);
  const detail = error instanceof Error ? error.message : String(error);
  process.stderr.write(
    `trackside: could not ${kind} (${detail}); the program continues, later failures of this kind are silent\n`,
  );
}

function toNumber(value: MetricValue): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' || typeof value === 'boolean') return Number(value);
  const number = Number(value.valueOf());
  if (typeof value.valueOf() !== 'number' && Number.isNaN(number))
    throw new TypeError(`not a number: ${String(value)}`);
  return number;
}

function toParam(value: unknown): ParamValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return Number(value);
  return value === undefined ? null : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export class TracksideRun {
  private events: EventAppender | null = null;
  private ended = false;

  constructor(
    readonly dir: string,
    readonly id: string,
    readonly workspaceRoot: string,
    /** True when this client created the run and so writes its status. */
    readonly owned: boolean,
    private readonly startedAt = new Date().toISOString(),
  ) {}

  private append(event: RunEvent): void {
    this.events ??= new RunFolder(this.dir).openEvents();
    this.events.append(event);
  }

  logMetric(key: string, value: MetricValue, step?: number | null): void {
    try {
      if (typeof key !== 'string' || key.length === 0 || key.length > 250) throw new TypeError(`bad metric key ${key}`);
      const event: RunEvent = { type: 'metric', key, value: toNumber(value), ts: Date.now() / 1000 };
      if (step !== undefined && step !== null) event.step = Math.trunc(Number(step));
      this.append(event);
    } catch (error) {
      warnOnce('log a metric', error);
    }
  }

  logMetrics(metrics: Record<string, MetricValue>, step?: number | null): void {
    let entries: Array<[string, MetricValue]>;
    try {
      entries = Object.entries(metrics);
    } catch (error) {
      warnOnce('log metrics', error);
      return;
    }
    for (const [key, value] of entries) this.logMetric(key, value, step);
  }

  /** `run.log({ loss: 0.5 }, 3)`: the W&B habit, the same as logMetrics. */
  log(metrics: Record<string, MetricValue>, step?: number | null): void {
    this.logMetrics(metrics, step);
  }

  logParams(params: Record<string, unknown>): void {
    try {
      const values = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, toParam(v)]));
      if (Object.keys(values).length > 0) this.append({ type: 'params', values, ts: Date.now() / 1000 });
    } catch (error) {
      warnOnce('log params', error);
    }
  }

  logParam(key: string, value: unknown): void {
    this.logParams({ [key]: value });
  }

  setTag(key: string, value: unknown): void {
    try {
      this.append({ type: 'tag', key, value: String(value), ts: Date.now() / 1000 });
    } catch (error) {
      warnOnce('set a tag', error);
    }
  }

  /** Records a file or folder with its sha256 and size (hashing is cached by size and mtime). */
  async logArtifact(
    path: string,
    options: { kind?: ArtifactKind; name?: string; role?: 'input' | 'output' } = {},
  ): Promise<void> {
    try {
      const absolute = resolve(path);
      const hash = await hashPathCached(this.workspaceRoot, absolute);
      const event: RunEvent = {
        type: 'artifact',
        path: this.relative(absolute),
        role: options.role ?? 'output',
        kind: options.kind ?? 'file',
        sha256: hash.sha256,
        size: hash.size,
        ts: Date.now() / 1000,
      };
      if (options.name) event.name = options.name;
      this.append(event);
    } catch (error) {
      warnOnce('log an artifact', error);
    }
  }

  logInput(path: string, options: { kind?: ArtifactKind; name?: string } = {}): Promise<void> {
    return this.logArtifact(path, { kind: options.kind ?? 'dataset', name: options.name, role: 'input' });
  }

  logModel(path: string, name?: string): Promise<void> {
    return this.logArtifact(path, { kind: 'model', name, role: 'output' });
  }

  private relative(absolute: string): string {
    const rel = relative(this.workspaceRoot, absolute);
    if (!rel || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return absolute;
    return rel.split(sep).join('/');
  }

  /**
   * Ends a run this client created; runs started by the launcher are ended by the launcher.
   * Without `exitCode`: 0 when finished, 130 when killed, 1 otherwise.
   */
  end(status: RunStatusValue = 'finished', message?: string, exitCode?: number): void {
    if (this.ended) return;
    this.ended = true;
    this.events?.close();
    this.events = null;
    if (active === this) active = null;
    if (!this.owned) return;
    if (watch?.run === this) {
      try {
        watch.output.dispose();
      } catch (error) {
        warnOnce('close output.log', error);
      }
      watch = null;
    }
    try {
      const code = exitCode ?? (status === 'finished' ? 0 : status === 'killed' ? 130 : 1);
      new RunFolder(this.dir).writeStatusSync({
        version: PROTOCOL_VERSION,
        status,
        pid: process.pid,
        exitCode: code,
        signal: null,
        startedAt: this.startedAt,
        endedAt: new Date().toISOString(),
        message: message ?? `exited with code ${code}`,
      });
    } catch (error) {
      warnOnce('write the run status', error);
    }
  }
}

let active: TracksideRun | null = null;
/** The output tee and exit listener of the open run this client created. */
let watch: { run: TracksideRun; output: OwnRunWatch } | null = null;

function attachLaunchedRun(): TracksideRun | null {
  const dir = process.env.TRACKSIDE_RUN_DIR;
  if (!dir) return null;
  const workspace = process.env.TRACKSIDE_WORKSPACE || findWorkspaceRoot(dirname(dirname(dir)));
  return new TracksideRun(dir, process.env.TRACKSIDE_RUN_ID || basename(dir), workspace, false);
}

function createOwnRun(options: StartRunOptions): TracksideRun {
  const cwd = resolve(options.cwd ?? process.cwd());
  const workspaceRoot = findWorkspaceRoot(cwd);
  const id = newRunId();
  const folder = RunFolder.create(workspaceRoot, id);
  const argv = [process.execPath, ...process.argv.slice(1)];
  const shape = describeCommand(argv, cwd);
  const script = process.argv[1] ? resolve(process.argv[1]) : null;
  const createdAt = new Date().toISOString();
  const explicit = Object.fromEntries(Object.entries(options.params ?? {}).map(([k, v]) => [k, toParam(v)]));
  const info: RunInfo = {
    version: PROTOCOL_VERSION,
    id,
    experiment: options.experiment || (script ? basename(script, extname(script)) : defaultExperiment(shape, argv)),
    name: options.name || readableRunName(id),
    argv,
    cwd,
    script,
    createdAt,
    git: captureGitSync(cwd, folder.path('patch')),
    environment: { ...baseEnvironment(), interpreter: process.execPath, interpreterVersion: process.version },
    params: { ...paramsFromArgs(process.argv.slice(2)), ...explicit },
    parentRunId: null,
    placement: process.env.SLURM_JOB_ID
      ? { kind: 'slurm', jobId: process.env.SLURM_JOB_ID, node: process.env.SLURMD_NODENAME ?? null }
      : { kind: 'local', jobId: null, node: null },
  };
  folder.writeInfoSync(info);
  const run = new TracksideRun(folder.dir, id, workspaceRoot, true, createdAt);
  folder.writeStatusSync({
    version: PROTOCOL_VERSION,
    status: 'running',
    pid: process.pid,
    exitCode: null,
    signal: null,
    startedAt: createdAt,
    endedAt: null,
    message: null,
  });
  try {
    watch = { run, output: new OwnRunWatch(folder.path('output'), (ending) => endAtExit(run, ending), warnOnce) };
  } catch (error) {
    warnOnce('create output.log', error);
  }
  return run;
}

function endAtExit(run: TracksideRun, ending: ProcessEnding): void {
  try {
    if (ending.hasError) {
      watch?.output.appendError(ending.error);
      const error = ending.error;
      const summary = error instanceof Error ? `${error.name}: ${error.message}` : `uncaught ${String(error)}`;
      run.end('failed', summary.slice(0, 500), ending.exitCode || 1);
    } else {
      run.end(ending.exitCode === 0 ? 'finished' : 'failed', undefined, ending.exitCode);
    }
  } catch (error) {
    warnOnce('record how the run ended', error);
  }
}

/**
 * The run to log into. Inside `trackside run` that is the launcher's run (params are logged into
 * it); otherwise a new run folder is created and ended when the process exits.
 */
export function startRun(options: StartRunOptions = {}): TracksideRun {
  if (active) {
    if (options.params) active.logParams(options.params);
    return active;
  }
  const launched = attachLaunchedRun();
  if (launched) {
    active = launched;
    if (options.params) launched.logParams(options.params);
    return launched;
  }
  active = createOwnRun(options);
  return active;
}

/**
 * The run being logged into, or null outside a run: inside `trackside run` that is the launcher's
 * run; otherwise the run startRun() or the first logging call created, until it ends. Asking
 * never creates a run.
 */
export function activeRun(): TracksideRun | null {
  active ??= attachLaunchedRun();
  return active;
}

/** The run a logging call writes into, started on the first call; null when none can be had. */
function currentRun(): TracksideRun | null {
  try {
    return active ?? startRun();
  } catch (error) {
    warnOnce('create a run folder', error);
    return null;
  }
}

export function endRun(status: RunStatusValue = 'finished'): void {
  active?.end(status);
}

export function logMetric(key: string, value: MetricValue, step?: number | null): void {
  currentRun()?.logMetric(key, value, step);
}

export function logMetrics(metrics: Record<string, MetricValue>, step?: number | null): void {
  currentRun()?.logMetrics(metrics, step);
}

/** `log({ loss: 0.5 }, 3)`: the W&B habit, the same as logMetrics. */
export function log(metrics: Record<string, MetricValue>, step?: number | null): void {
  currentRun()?.log(metrics, step);
}

export function logParam(key: string, value: unknown): void {
  currentRun()?.logParam(key, value);
}

export function logParams(params: Record<string, unknown>): void {
  currentRun()?.logParams(params);
}

export function setTag(key: string, value: unknown): void {
  currentRun()?.setTag(key, value);
}

export async function logArtifact(path: string, options: { kind?: ArtifactKind; name?: string } = {}): Promise<void> {
  await currentRun()?.logArtifact(path, options);
}

export async function logInput(path: string, options: { kind?: ArtifactKind; name?: string } = {}): Promise<void> {
  await currentRun()?.logInput(path, options);
}

export async function logModel(path: string, name?: string): Promise<void> {
  await currentRun()?.logModel(path, name);
}
