import { resolve } from 'node:path';
import { readRunStatus } from '../../core/runs/reader';
import { computeFilePath, loadComputeTargets } from '../../core/slurm/compute-file';
import { SlurmError } from '../../core/slurm/errors';
import { SlurmMonitor, type SlurmRunSnapshot } from '../../core/slurm/monitor';
import { SlurmCommands } from '../../core/slurm/slurm-commands';
import { submitSlurmRun } from '../../core/slurm/submit';
import { resolveTarget } from '../../core/slurm/target';
import type { CliCommand } from '../command';
import { CliError } from '../errors';
import { bundledCliPath, parseDeferredRun } from './launch-options';

const USAGE = `Usage: trackside submit --slurm <target> [options] -- <command…>

Submits a command as a tracked run to a Slurm compute target (from .trackside/compute.json, the same
shape as the trackside.compute setting). The batch script runs the bundled launcher on the node, so
the run records params, metrics, output and status in the shared workspace like a local run.

Options:
  --slurm <target>            compute target name (required)
  --compute-file <file>       compute targets file (default: .trackside/compute.json)
  --experiment <name>         experiment to file the run under
  --name <name>               run name
  --param <key=value>         a param to record (repeatable)
  --cwd <dir>                 working folder on the node (default: current folder; must be shared)
  --workspace <dir>           folder whose .trackside/ receives the run
  --wait                      follow the job until it ends; exit with the run's exit code
  -h, --help                  show this help`;

/** Turns a Slurm failure into the CLI's one-line message, with the scheduler's words. */
export function slurmCliError(error: unknown): unknown {
  if (!(error instanceof SlurmError)) return error;
  const hint = error.reason === 'not-installed' ? ' (run this on a login node, or put Slurm on PATH)' : '';
  return new CliError(`${error.message}${hint}`, error.reason === 'bad-target' ? 2 : 1);
}

export const submitCommand: CliCommand = {
  async run(args) {
    const own = args.indexOf('--') >= 0 ? args.slice(0, args.indexOf('--')) : args;
    if (own.includes('--help') || own.includes('-h')) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const options = parseDeferredRun(args, 'see trackside submit --help', ['--slurm', '--compute-file'], ['--wait']);
    const targetName = options.extra.get('--slurm');
    if (!targetName) throw new CliError('--slurm <target> is required — see trackside submit --help', 2);
    try {
      const file = resolve(options.extra.get('--compute-file') ?? computeFilePath(options.workspaceRoot));
      const target = resolveTarget(await loadComputeTargets(file), targetName);
      const slurm = new SlurmCommands();
      const submitted = await submitSlurmRun({
        ...options,
        targetName,
        target,
        cliPath: bundledCliPath(),
        slurm,
      });
      process.stdout.write(`run ${submitted.runId} submitted as Slurm job ${submitted.jobId} (${targetName})\n`);
      if (!options.flags.has('--wait')) return 0;
      return await followSlurmRuns(slurm, [submitted.runDir]);
    } catch (error) {
      throw slurmCliError(error);
    }
  },
};

/** Follows Slurm runs to their end, printing each change; resolves to the first non-zero exit code. */
export async function followSlurmRuns(slurm: SlurmCommands, runDirs: readonly string[]): Promise<number> {
  const monitor = new SlurmMonitor({ slurm });
  monitor.onDidChange((s) => process.stdout.write(`${describeSnapshot(s)}\n`));
  const ids: string[] = [];
  for (const dir of runDirs) {
    if (await monitor.track(dir)) ids.push(dir.split(/[\\/]/).pop()!);
  }
  monitor.start();
  await Promise.all(ids.map((id) => monitor.whenSettled(id)));
  monitor.stop();
  let code = 0;
  for (const dir of runDirs) {
    const status = await readRunStatus(dir).catch(() => null);
    if (status && status.status !== 'finished' && code === 0) code = status.exitCode || 1;
  }
  return code;
}

function describeSnapshot(s: SlurmRunSnapshot): string {
  const parts = [`run ${s.runId}`, `job ${s.jobId ?? '-'}`, s.state];
  if (s.reason) parts.push(`(${s.reason})`);
  if (s.node) parts.push(`on ${s.node}`);
  if (s.exitCode !== null) parts.push(`exit ${s.exitCode}`);
  if (s.settled && s.runStatus) parts.push(`→ ${s.runStatus}`);
  return parts.join(' ');
}
