import { PROTOCOL_VERSION, type ParamValue, type RunInfo, type RunStatusValue } from '../runs/protocol';
import { prepareRun, type PreparedRun } from '../runs/run-setup';

/** A run whose folder exists before its process does: queued locally, or waiting for a Slurm node. */
export interface ReserveRunOptions {
  command: readonly string[];
  cwd: string;
  workspaceRoot: string;
  experiment?: string;
  name?: string;
  params?: Record<string, ParamValue>;
  env?: NodeJS.ProcessEnv;
  status: Extract<RunStatusValue, 'queued' | 'pending'>;
  placement: RunInfo['placement'];
  /** Tags recorded before the run starts (a sweep's id and trial), kept when the launcher adopts the folder. */
  tags?: Record<string, string>;
  message?: string | null;
}

/**
 * Creates the run folder with run.json, status.json (queued or pending) and the tags, so the run
 * shows in every view at once. The launcher later adopts the folder (`trackside run --run-id`).
 */
export async function reserveRun(options: ReserveRunOptions): Promise<PreparedRun> {
  // The login node may itself be inside a Slurm allocation: placement is set here, not read from env.
  const env = { ...(options.env ?? process.env) };
  delete env.SLURM_JOB_ID;
  const run = await prepareRun({
    command: options.command,
    cwd: options.cwd,
    workspaceRoot: options.workspaceRoot,
    experiment: options.experiment,
    name: options.name,
    params: options.params,
    env,
  });
  const info: RunInfo = { ...run.info, placement: options.placement };
  await run.folder.writeInfo(info);
  const tags = Object.entries(options.tags ?? {});
  if (tags.length > 0) {
    const events = run.folder.openEvents();
    const ts = Date.now() / 1000;
    events.appendAll(tags.map(([key, value]) => ({ type: 'tag', key, value, ts })));
    events.close();
  }
  await run.folder.writeStatus({
    version: PROTOCOL_VERSION,
    status: options.status,
    pid: null,
    exitCode: null,
    signal: null,
    startedAt: info.createdAt,
    endedAt: null,
    message: options.message ?? null,
  });
  return { ...run, info };
}

/** Launcher options that carry a reserved run's identity to `trackside run` (before `--`). */
export function launcherArgsFor(run: PreparedRun, params: Record<string, ParamValue> = {}): string[] {
  const args = ['--workspace', run.workspaceRoot, '--cwd', run.cwd];
  args.push('--experiment', run.info.experiment, '--name', run.info.name);
  // Params read from the script's argv are found again by the launcher; only explicit ones are passed.
  for (const [key, value] of Object.entries(params)) args.push('--param', `${key}=${String(value)}`);
  return args;
}
