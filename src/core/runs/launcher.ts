import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { delimiter } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { pythonClientDir } from '../clients/python-client-dir';
import type { EventAppender } from './folder';
import { overwriteJsonInPlaceSync } from './atomic-write';
import { formatBytes } from '../format/numbers';
import { PROTOCOL_VERSION } from './folder-layout';
import { OutputMetrics } from './output-metrics';
import type { RunStatus } from './protocol';
import { outcomeOf, type RunOutcome } from './run-outcome';
import { beginRun, type RunSetupOptions, type StartingRun } from './run-setup';
import type { MetricPattern } from './stdout-metrics';
import { DEFAULT_SYSTEM_METRICS_INTERVAL_MS, SystemMetricsSampler } from './system-metrics';

/**
 * The launcher: one tracked run of one command, for the CLI, the editor's task and Slurm jobs
 * alike. It needs no native module. The command runs in its own process group so that Ctrl-C and
 * SIGTERM reach the whole tree (DataLoader workers included) through the launcher, which forwards
 * them; a second Ctrl-C within a few seconds kills the group outright.
 */

export interface LaunchOptions extends RunSetupOptions {
  /** Extra stdout patterns for zero-code metrics. */
  metricPatterns?: readonly MetricPattern[];
  /** Parse output for metrics (default true). */
  parseOutput?: boolean;
  /** Where the command's output is echoed (default: this process's stdout and stderr). */
  terminal?: { stdout: Writable; stderr: Writable };
  /** Install SIGINT/SIGTERM/SIGHUP handlers on this process and forward them (default true). */
  forwardSignals?: boolean;
  /** Called once the command is running (not called when it could not start). */
  onStarted?: (run: StartedRun) => void;
  /**
   * How often CPU, memory and GPU use of the command's process tree are recorded as `sys/…`
   * metrics, in milliseconds (default 5000; 0 turns sampling off).
   */
  systemMetricsIntervalMs?: number;
}

export interface StartedRun {
  runId: string;
  runDir: string;
  pid: number;
  /** Forwards a signal to the run's process group, as Ctrl-C in the terminal would. */
  interrupt(signal?: NodeJS.Signals): void;
}

export interface LaunchResult extends RunOutcome {
  runId: string;
  runDir: string;
}

/** A second Ctrl-C within this window kills the process group. */
const SECOND_INTERRUPT_MS = 3000;
/** After the command exits, how long its output pipes may stay open (held by an orphaned grandchild). */
const OUTPUT_DRAIN_MS = 2000;
const MISSING_COMMAND_EXIT = 127;
const NOT_EXECUTABLE_EXIT = 126;

export async function launchRun(options: LaunchOptions): Promise<LaunchResult> {
  // Resolved first: without the client there is nothing to run, and no run folder should be left behind.
  const clientDir = pythonClientDir();
  const run = await beginRun(options);
  const terminal = options.terminal ?? { stdout: process.stdout, stderr: process.stderr };
  const output = openSync(run.folder.path('output'), 'a');
  const disk = new DiskTrouble(terminal.stderr);
  const events = run.folder.openEvents({ onWriteError: (error) => disk.report(error) });
  const startedAt = run.info.createdAt;
  const status = (fields: Partial<RunStatus>): RunStatus => ({
    version: PROTOCOL_VERSION,
    status: 'running',
    pid: null,
    runnerPid: process.pid,
    exitCode: null,
    signal: null,
    startedAt,
    endedAt: null,
    message: null,
    ...fields,
  });

  const [program = '', ...args] = options.command;
  const env = childEnvironment(options.env ?? process.env, clientDir, run.folder.dir, run.id, run.workspaceRoot);
  const child = spawn(program, args, {
    cwd: run.cwd,
    env,
    detached: true,
    // A child in its own process group that reads the terminal would be stopped (SIGTTIN), so an
    // interactive stdin is not passed on; piped stdin (CI, `echo … |`) is.
    stdio: [process.stdin.isTTY ? 'ignore' : 'inherit', 'pipe', 'pipe'],
  });
  // Listen for the exit at once: a short command may be gone before the status is written.
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('exit', (c, s) => resolve([c, s])),
  );
  // Output listeners go on before anything awaits: Node discards the output of a child that exits
  // while its pipes have no reader.
  const metrics = new OutputMetrics(events, run.folder.path('events'), options);
  let lastErrorLine: string | null = null;
  const logOutput = (chunk: Buffer | string): void => {
    try {
      writeSync(output, typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    } catch (error) {
      // A full disk must not stop the training: the terminal still shows everything.
      disk.report(error as NodeJS.ErrnoException);
    }
  };
  const pipe = (stream: NodeJS.ReadableStream, echo: Writable, isErr: boolean): Promise<void> => {
    // Bytes go to the terminal and output.log unchanged; the parser gets lines and bar redraws.
    const reader = metrics.stream();
    const onLines = (lines: string[]): void => {
      if (!isErr) return;
      for (const line of lines) if (line.trim()) lastErrorLine = line.trim().slice(0, 500);
    };
    stream.on('data', (chunk: Buffer) => {
      logOutput(chunk);
      if (!echo.write(chunk)) {
        stream.pause();
        echo.once('drain', () => stream.resume());
      }
      onLines(reader.push(chunk));
    });
    // finished() also settles for a stream that already ended before this listener existed.
    return finished(stream).then(
      () => onLines(reader.end()),
      () => onLines(reader.end()),
    );
  };
  const drained = Promise.all([
    pipe(child.stdout!, terminal.stdout, false),
    pipe(child.stderr!, terminal.stderr, true),
  ]);

  // Forward signals from the first moment: a Ctrl-C now must not kill the launcher and orphan the command.
  const pid = child.pid ?? 0;
  const forwarder = new SignalForwarder(pid);
  const detach = options.forwardSignals === false || !pid ? () => undefined : forwarder.attach();
  // Files and folders named on the command line are recorded as inputs, hashed while the command runs.
  const argvInputs = recordArgvInputs(run, events);
  const startError = await started(child);
  if (startError) {
    detach();
    const missing = startError.code === 'ENOENT';
    const text = missing
      ? `command not found: ${program} — check the interpreter path`
      : `cannot start ${program}: ${startError.message}`;
    await drained;
    await argvInputs;
    // run.json is complete before status.json says the run ended.
    await run.completed;
    metrics.finish();
    disk.reportLeftOver(events);
    logOutput(`trackside: ${text}\n`);
    terminal.stderr.write(`trackside: ${text}\n`);
    closeSync(output);
    const exitCode = missing ? MISSING_COMMAND_EXIT : NOT_EXECUTABLE_EXIT;
    const endedAt = new Date().toISOString();
    recordStatus(run, terminal.stderr, status({ status: 'failed', exitCode, endedAt, message: text }));
    return { runId: run.id, runDir: run.folder.dir, status: 'failed', exitCode, signal: null, message: text };
  }

  // status.json is written synchronously, here and at the end: a short command is over in
  // milliseconds, and a trip through the thread pool per file operation would add to each run.
  recordStatus(run, terminal.stderr, status({ pid }));
  options.onStarted?.({
    runId: run.id,
    runDir: run.folder.dir,
    pid,
    interrupt: (signal = 'SIGINT') => forwarder.forward(signal),
  });
  const sampler = startSystemMetrics(options.systemMetricsIntervalMs, pid, env, events);

  const [code, signal] = await exited;
  sampler?.stop();
  let drainTimer: NodeJS.Timeout | undefined;
  await Promise.race([drained, new Promise((resolve) => (drainTimer = setTimeout(resolve, OUTPUT_DRAIN_MS)))]);
  clearTimeout(drainTimer);
  child.stdout?.destroy();
  child.stderr?.destroy();
  detach();
  await argvInputs;
  await run.completed;
  metrics.finish();
  disk.reportLeftOver(events);
  closeSync(output);
  const outcome = outcomeOf(code, signal, forwarder.interruptedBy, lastErrorLine);
  recordStatus(
    run,
    terminal.stderr,
    status({
      status: outcome.status,
      pid,
      exitCode: outcome.exitCode,
      signal: outcome.signal,
      endedAt: new Date().toISOString(),
      message: outcome.message,
    }),
  );
  return { runId: run.id, runDir: run.folder.dir, ...outcome };
}

/**
 * Writes status.json, unless the run's folder was deleted while the command ran (the user deleted
 * the run): then that is said, and the command still ends with its own exit code.
 */
function recordStatus(run: StartingRun, stderr: Writable, value: RunStatus): void {
  try {
    run.folder.writeStatusSync(value);
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !existsSync(run.folder.dir)) {
      stderr.write(
        `trackside: run ${run.id} was deleted while it ran (its folder is gone); nothing more is recorded\n`,
      );
      return;
    }
  }
  // A full disk has no room for the temporary copy: status.json is rewritten in its own blocks.
  try {
    overwriteJsonInPlaceSync(run.folder.path('status'), value);
  } catch (error) {
    stderr.write(
      `trackside: cannot record that run ${run.id} is ${value.status} (${(error as Error).message}); ` +
        'the editor will mark it ended once it sees the launcher is gone\n',
    );
  }
}

/**
 * Tells the user once that the run folder's disk refuses writes. The training goes on: metrics wait
 * in memory for space (see EventAppender), output.log misses what the terminal still shows.
 */
class DiskTrouble {
  private told = false;

  constructor(private readonly stderr: Writable) {}

  report(error: NodeJS.ErrnoException): void {
    if (this.told) return;
    this.told = true;
    const full = error.code === 'ENOSPC' || error.code === 'EDQUOT';
    this.stderr.write(
      `trackside: cannot write to the run folder (${error.code ?? error.message}${full ? ': the disk is full' : ''}); ` +
        'training continues, metrics are kept in memory and written as soon as there is room' +
        (full ? ' (free some space to keep them)' : '') +
        '\n',
    );
  }

  /** After the events file closed: what could still not be written, if anything. */
  reportLeftOver(events: EventAppender): void {
    const { bytes, dropped } = events.pending;
    if (bytes + dropped === 0) return;
    this.stderr.write(
      `trackside: ${formatBytes(bytes + dropped)} of metrics could not be written to events.jsonl before the run ended (disk full)\n`,
    );
  }
}

/**
 * Only arguments that look like paths can name inputs; without one, the hasher (and the hash cache's
 * schema) is not even loaded.
 */
async function recordArgvInputs(run: StartingRun, events: EventAppender): Promise<void> {
  if (!run.shape.scriptArgs.some((arg) => /[/\\.]/.test(arg))) return;
  try {
    const { argvInputArtifacts } = await import('../lineage/argv-inputs');
    events.appendAll(await argvInputArtifacts(run.shape.scriptArgs, run.cwd, run.workspaceRoot));
  } catch {
    // Inputs that cannot be hashed are left out; the run itself goes on.
  }
}

function startSystemMetrics(
  intervalMs = DEFAULT_SYSTEM_METRICS_INTERVAL_MS,
  pid: number,
  env: NodeJS.ProcessEnv,
  events: EventAppender,
): SystemMetricsSampler | null {
  if (!(intervalMs > 0) || !pid) return null;
  const sampler = new SystemMetricsSampler({ pid, intervalMs, env, write: (metrics) => events.appendAll(metrics) });
  sampler.start();
  return sampler;
}

function started(child: ChildProcess): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    child.once('spawn', () => resolve(null));
    // Later errors (a failed kill) must not crash the launcher; the exit is what counts.
    child.on('error', (error) => resolve(error as NodeJS.ErrnoException));
  });
}

function childEnvironment(
  base: NodeJS.ProcessEnv,
  clientDir: string,
  runDir: string,
  runId: string,
  workspace: string,
): NodeJS.ProcessEnv {
  return {
    ...base,
    TRACKSIDE_RUN_DIR: runDir,
    TRACKSIDE_RUN_ID: runId,
    TRACKSIDE_WORKSPACE: workspace,
    PYTHONUNBUFFERED: '1',
    PYTHONPATH: base.PYTHONPATH ? `${clientDir}${delimiter}${base.PYTHONPATH}` : clientDir,
  };
}

/**
 * Forwards SIGINT, SIGTERM and SIGHUP to the child's process group. A second SIGINT or SIGTERM
 * within SECOND_INTERRUPT_MS sends SIGKILL, for scripts that catch the first one and hang.
 */
class SignalForwarder {
  interruptedBy: NodeJS.Signals | null = null;
  private lastAt = 0;

  constructor(private readonly pid: number) {}

  forward(signal: NodeJS.Signals): void {
    const now = Date.now();
    const repeat = this.interruptedBy !== null && signal !== 'SIGHUP' && now - this.lastAt < SECOND_INTERRUPT_MS;
    this.interruptedBy ??= signal;
    this.lastAt = now;
    try {
      process.kill(-this.pid, repeat ? 'SIGKILL' : signal);
    } catch {
      // the group is already gone
    }
  }

  attach(): () => void {
    const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((signal) => {
      const handler = (): void => this.forward(signal);
      process.on(signal, handler);
      return () => process.off(signal, handler);
    });
    return () => handlers.forEach((off) => off());
  }
}
