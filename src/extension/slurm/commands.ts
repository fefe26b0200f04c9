import * as path from 'node:path';
import * as vscode from 'vscode';
import { readRunInfo } from '../../core/runs/reader';
import { SlurmError } from '../../core/slurm/errors';
import { resolveTarget } from '../../core/slurm/target';
import { scriptTarget } from '../runs/script-target';
import type { Settings } from '../settings';
import type { SlurmService } from './slurm-service';

/**
 * Asks which compute target to use (no question when there is only one). Throws a SlurmError with
 * the next step when `trackside.compute` has none.
 */
export async function pickComputeTarget(
  settings: Settings,
  scope: vscode.Uri | undefined,
  title: string,
): Promise<string | undefined> {
  const targets = settings.computeTargets(scope);
  const names = Object.keys(targets);
  if (names.length === 0) {
    throw new SlurmError(
      'bad-target',
      'No Slurm compute target is configured',
      'add one to the trackside.compute setting (name, partition, time, cpus, mem, gpus…)',
    );
  }
  if (names.length === 1) return names[0];
  const pick = await vscode.window.showQuickPick(
    names.map((name) => {
      const t = targets[name]!;
      const details = [
        t.partition && `partition ${t.partition}`,
        t.time && `time ${t.time}`,
        t.cpus && `${t.cpus} CPUs`,
        t.mem && `mem ${t.mem}`,
        t.gpus !== undefined && `GPUs ${t.gpus}`,
        t.gres && `gres ${t.gres}`,
      ].filter(Boolean);
      return { label: name, description: details.join(' · ') };
    }),
    { title, placeHolder: 'Compute target (trackside.compute)' },
  );
  return pick?.label;
}

/**
 * "Run Current File on Slurm…": the script as a tracked run submitted with sbatch. The run shows at
 * once as pending with its job id; the monitor follows it to its end.
 */
export async function runFileOnSlurm(
  settings: Settings,
  slurmOf: (folder: vscode.WorkspaceFolder) => SlurmService,
  cliPath: string,
  target?: unknown,
): Promise<void> {
  const script = await scriptTarget(settings, target);
  const slurm = slurmOf(script.folder);
  const targetName = await pickComputeTarget(
    settings,
    script.file,
    `Run ${path.basename(script.file.fsPath)} on Slurm`,
  );
  if (!targetName) return;
  const submitted = await slurm.submit({
    command: script.command,
    cwd: script.folder.uri.fsPath,
    targetName,
    target: resolveTarget(settings.computeTargets(script.file), targetName),
    cliPath,
  });
  vscode.window.setStatusBarMessage(
    `$(server-environment) Submitted Slurm job ${submitted.jobId} (${targetName})`,
    5000,
  );
}

/** Shows a Slurm failure with the scheduler's own words and a next step. */
export async function reportSlurmError(error: SlurmError): Promise<void> {
  const text =
    error.reason === 'submit-rejected'
      ? `Slurm refused the job: ${error.detail || error.message}`
      : error.reason === 'not-installed'
        ? `${error.message}. Run VS Code on a login node (Remote-SSH) or put the Slurm commands on PATH.`
        : error.message;
  const actions = error.reason === 'bad-target' || error.reason === 'submit-rejected' ? ['Open Settings'] : [];
  const choice = await vscode.window.showErrorMessage(text, ...actions);
  if (choice === 'Open Settings') {
    await vscode.commands.executeCommand('workbench.action.openSettings', 'trackside.compute');
  }
}

/** Where a run ran, for its tooltip: the Slurm job (target, node, GPUs, state) or the local host. */
export async function placementMarkdown(slurm: SlurmService, runId: string): Promise<string> {
  const job = await slurm.jobOf(runId);
  const live = slurm.snapshotOf(runId);
  if (job) {
    const state = live?.state ?? job.state;
    const reason = live?.reason ?? job.reason;
    const node = live?.node ?? job.node;
    const parts = [`$(server-environment) Slurm job \`${job.jobId ?? '–'}\` on ${job.target}`];
    if (node) parts.push(`node \`${node}\``);
    if (job.gpus) parts.push(`GPUs ${job.gpus}`);
    parts.push(`${state}${reason && reason !== 'None' ? ` (${reason})` : ''}`);
    const exit = live?.exitCode ?? job.exitCode;
    if (exit !== null && exit !== 0) parts.push(`exit ${exit}`);
    return parts.join(' · ');
  }
  try {
    const info = await readRunInfo(slurm.runDir(runId));
    if (info.placement.kind === 'slurm') {
      return `$(server-environment) Slurm job \`${info.placement.jobId ?? '–'}\`${info.placement.node ? ` on node \`${info.placement.node}\`` : ''}`;
    }
    return `$(vm) local on \`${info.environment.hostname}\``;
  } catch {
    return '';
  }
}

/** A short note beside a followed Slurm run's row: its job id, and while it waits Slurm's state and reason. */
export function slurmRowNote(slurm: SlurmService, runId: string): string | undefined {
  const live = slurm.snapshotOf(runId);
  if (!live?.jobId) return undefined;
  if (live.state === 'PENDING') return `job ${live.jobId} · pending${live.reason ? ` (${live.reason})` : ''}`;
  if (live.settled || live.state !== 'RUNNING') return `job ${live.jobId}`;
  return `job ${live.jobId}${live.node ? ` on ${live.node}` : ''}`;
}
