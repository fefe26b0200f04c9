import { basename } from 'node:path';
import { enqueueRun } from '../queue/local-queue';
import { newRunId } from '../runs/run-id';
import { SlurmError } from '../slurm/errors';
import type { SlurmCommands } from '../slurm/slurm-commands';
import { submitSlurmRun } from '../slurm/submit';
import { resolveTarget, type ComputeTargets } from '../slurm/target';
import type { SweepDefinition } from './definition';
import { SWEEP_TAG, TRIAL_TAG, writeSweepRecord, type SweepRecord } from './sweep-record';
import { expandTrials, trialCommand } from './trials';

export interface SweepLaunchOptions {
  workspaceRoot: string;
  /** Where the trials' command runs (the sweep file's folder's workspace, usually its root). */
  cwd: string;
  definition: SweepDefinition;
  /** The sweep file, recorded so the view can open it. */
  source?: string | null;
  /** Needed when the sweep's target is slurm. */
  slurm?: { commands: SlurmCommands; targets: ComputeTargets; cliPath: string };
  env?: NodeJS.ProcessEnv;
  /** Called after each trial got its run (the views show the sweep filling up). */
  onTrial?: (record: SweepRecord) => void;
}

/**
 * Launches every trial of a sweep as a run of its own, in the local queue or as one Slurm job each.
 * Every run carries the sweep's id and its trial index as tags from the start, and the sweep
 * record (`.trackside/sweeps/<id>.json`) maps trials to runs, so progress is read from run folders.
 * A trial Slurm refuses is recorded with the refusal; the others still launch.
 */
export async function launchSweep(options: SweepLaunchOptions): Promise<SweepRecord> {
  const { definition } = options;
  const trials = expandTrials(definition);
  const id = newRunId();
  const record: SweepRecord = {
    version: 1,
    id,
    name: definition.name ?? (options.source ? basename(options.source).replace(/\.sweep\.(json|ya?ml)$/i, '') : id),
    source: options.source ?? null,
    createdAt: new Date().toISOString(),
    definition,
    trials: trials.map((t) => ({ index: t.index, params: t.params, runId: null, error: null })),
  };
  await writeSweepRecord(options.workspaceRoot, record);
  const target = definition.target === 'slurm' ? slurmTarget(options, definition.compute) : null;

  for (const trial of trials) {
    const common = {
      workspaceRoot: options.workspaceRoot,
      cwd: options.cwd,
      command: trialCommand(definition.command, trial.params),
      experiment: definition.experiment,
      name: `${record.name} #${trial.index + 1}`,
      params: trial.params,
      tags: { [SWEEP_TAG]: id, [TRIAL_TAG]: String(trial.index) },
      env: options.env,
    };
    const entry = record.trials[trial.index]!;
    if (target && options.slurm) {
      try {
        const submitted = await submitSlurmRun({
          ...common,
          targetName: target.name,
          target: target.target,
          cliPath: options.slurm.cliPath,
          slurm: options.slurm.commands,
        });
        entry.runId = submitted.runId;
      } catch (error) {
        if (!(error instanceof SlurmError)) throw error;
        entry.runId = error.runId;
        entry.error = error.detail || error.message;
      }
    } else {
      entry.runId = (await enqueueRun(common)).id;
    }
    await writeSweepRecord(options.workspaceRoot, record);
    options.onTrial?.(record);
  }
  return record;
}

function slurmTarget(options: SweepLaunchOptions, name: string | undefined) {
  if (!options.slurm) throw new SlurmError('bad-target', 'this sweep runs on Slurm but no compute targets were given');
  const names = Object.keys(options.slurm.targets);
  const chosen = name ?? (names.length === 1 ? names[0]! : undefined);
  if (!chosen) {
    throw new SlurmError(
      'bad-target',
      'the sweep does not say which compute target to use',
      `set "compute" to one of: ${names.join(', ') || '(none configured)'}`,
    );
  }
  return { name: chosen, target: resolveTarget(options.slurm.targets, chosen) };
}
