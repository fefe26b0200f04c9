import { dirname, resolve } from 'node:path';
import { QueueRunner } from '../../core/queue/queue-runner';
import { runsRoot } from '../../core/runs/reader';
import { findWorkspaceRoot } from '../../core/runs/workspace';
import { computeFilePath, loadComputeTargets } from '../../core/slurm/compute-file';
import { SlurmCommands } from '../../core/slurm/slurm-commands';
import { launchSweep } from '../../core/sweeps/launch';
import { listSweepProgress, readSweepProgress, type SweepProgress } from '../../core/sweeps/progress';
import { readSweepRecord, SweepRecordError } from '../../core/sweeps/sweep-record';
import { loadSweepFile, SweepFileError } from '../../core/sweeps/sweep-file';
import { expandTrials, SweepExpansionError } from '../../core/sweeps/trials';
import type { CliCommand } from '../command';
import { CliError } from '../errors';
import { bundledCliPath, parseOptions, positiveInteger } from './launch-options';
import { followSlurmRuns, slurmCliError } from './submit';

const USAGE = `Usage: trackside sweep <file.sweep.json|yaml> [options]
       trackside sweep status [<sweep-id>]

Launches every trial of a sweep as a run (local queue or Slurm), follows them, and prints the
progress and the best trial.

Options:
  --target <local|slurm>      override the file's target
  --compute <name>            Slurm compute target (from .trackside/compute.json)
  --concurrency <n>           trials running at once in the local queue (default: the file's, else 1)
  --dry-run                   print the trials without launching them
  --no-wait                   launch and return; the editor or \`trackside queue run\` runs local trials`;

export const sweepCommand: CliCommand = {
  async run(args) {
    if (args.length === 0 || args.includes('--help') || args.includes('-h')) {
      process.stdout.write(`${USAGE}\n`);
      return args.length === 0 ? 2 : 0;
    }
    try {
      if (args[0] === 'status') return await status(args[1]);
      return await launch(args);
    } catch (error) {
      if (
        error instanceof SweepFileError ||
        error instanceof SweepExpansionError ||
        error instanceof SweepRecordError
      ) {
        throw new CliError(error.message, 2);
      }
      throw slurmCliError(error);
    }
  },
};

async function launch(args: readonly string[]): Promise<number> {
  const parsed = parseOptions(
    args,
    ['--target', '--compute', '--concurrency'],
    ['--dry-run', '--no-wait'],
    'see trackside sweep --help',
  );
  const [file, ...extra] = parsed.positional;
  if (!file || extra.length > 0) throw new CliError('give one sweep file — see trackside sweep --help', 2);
  const source = resolve(file);
  const definition = await loadSweepFile(source);
  const target = parsed.values.get('--target')?.at(-1);
  if (target !== undefined && target !== 'local' && target !== 'slurm')
    throw new CliError('--target is local or slurm', 2);
  if (target) definition.target = target;
  const compute = parsed.values.get('--compute')?.at(-1);
  if (compute) definition.compute = compute;
  if (parsed.flags.has('--dry-run')) {
    for (const trial of expandTrials(definition))
      process.stdout.write(`#${trial.index + 1} ${JSON.stringify(trial.params)}\n`);
    return 0;
  }
  const workspaceRoot = findWorkspaceRoot(dirname(source));
  const commands = new SlurmCommands();
  const record = await launchSweep({
    workspaceRoot,
    cwd: workspaceRoot,
    definition,
    source,
    slurm:
      definition.target === 'slurm'
        ? { commands, targets: await loadComputeTargets(computeFilePath(workspaceRoot)), cliPath: bundledCliPath() }
        : undefined,
  });
  process.stdout.write(`sweep ${record.id}: ${record.trials.length} trials (${definition.target})\n`);
  if (parsed.flags.has('--no-wait')) return 0;
  if (definition.target === 'slurm') {
    await followSlurmRuns(
      commands,
      record.trials.flatMap((t) => (t.runId && !t.error ? [`${runsRoot(workspaceRoot)}/${t.runId}`] : [])),
    );
  } else {
    const runner = new QueueRunner({
      workspaceRoot,
      cliPath: bundledCliPath(),
      concurrency: positiveInteger(
        '--concurrency',
        parsed.values.get('--concurrency')?.at(-1),
        definition.concurrency ?? 1,
      ),
    });
    let last = '';
    runner.onDidChange(() => {
      void readSweepProgress(workspaceRoot, record).then((p) => {
        const line = progressLine(p);
        if (line !== last) process.stdout.write(`${(last = line)}\n`);
      });
    });
    runner.start();
    await runner.whenEmpty();
    await runner.stop();
  }
  const progress = await readSweepProgress(workspaceRoot, record);
  process.stdout.write(`${progressLine(progress)}\n${bestLine(progress)}\n`);
  return progress.failed > 0 ? 1 : 0;
}

async function status(id: string | undefined): Promise<number> {
  const workspaceRoot = findWorkspaceRoot(process.cwd());
  const sweeps = id
    ? [await readSweepProgress(workspaceRoot, await readSweepRecord(workspaceRoot, id))]
    : await listSweepProgress(workspaceRoot);
  if (sweeps.length === 0) process.stdout.write('no sweeps in this workspace\n');
  for (const progress of sweeps) {
    process.stdout.write(`${progress.id} ${progress.name}: ${progressLine(progress)}\n  ${bestLine(progress)}\n`);
  }
  return 0;
}

function progressLine(p: SweepProgress): string {
  return `${p.done}/${p.total} done, ${p.running} running, ${p.queued} queued, ${p.failed} failed`;
}

function bestLine(p: SweepProgress): string {
  if (!p.best) return `best: none yet (no trial logged ${p.metric.name})`;
  return `best: trial #${p.best.index + 1} ${p.metric.name}=${p.best.value} ${JSON.stringify(p.best.params)} (run ${p.best.runId})`;
}
