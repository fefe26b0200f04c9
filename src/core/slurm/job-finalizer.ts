import { constants } from 'node:os';
import { copyFile, stat } from 'node:fs/promises';
import { RunFolder } from '../runs/folder';
import { PROTOCOL_VERSION, type RunStatus } from '../runs/protocol';
import { readRunInfo, readRunStatus } from '../runs/reader';
import { runStatusOfEndedJob, shellExitCode, type SlurmJobState } from './job-state';

const TERMINAL = new Set(['finished', 'failed', 'killed']);

export function isTerminalRunStatus(status: RunStatus | null): boolean {
  return status !== null && TERMINAL.has(status.status);
}

function signalName(signal: number | null): NodeJS.Signals | null {
  if (!signal) return null;
  const entry = Object.entries(constants.signals).find(([, number]) => number === signal);
  return (entry?.[0] as NodeJS.Signals | undefined) ?? null;
}

/** "Slurm job 12 FAILED (NonZeroExitCode), exit code 3" — what the run view shows as its end. */
export function describeEndedJob(job: SlurmJobState): string {
  const reason = job.reason ? ` (${job.reason})` : '';
  const signal = signalName(job.signal);
  const exit = signal ? `, ended by ${signal}` : job.exitCode !== null ? `, exit code ${job.exitCode}` : '';
  return `Slurm job ${job.jobId} ${job.state}${reason}${exit}`;
}

/**
 * Ends a run whose job ended without the launcher recording it (the job died before the launcher
 * started, was killed outright, or its node failed): status.json gets Slurm's outcome, output.log
 * the job's own output when the launcher wrote none, and run.json the job id and node.
 */
export async function finalizeEndedJob(runDir: string, job: SlurmJobState, outputFile: string | null): Promise<void> {
  const folder = new RunFolder(runDir);
  const previous = await readRunStatus(runDir);
  if (isTerminalRunStatus(previous)) return;
  if (outputFile && !(await hasContent(folder.path('output')))) {
    await copyFile(outputFile, folder.path('output')).catch(() => undefined);
  }
  const info = await readRunInfo(runDir).catch(() => null);
  if (info && (info.placement.jobId === null || info.placement.node === null)) {
    await folder.writeInfo({ ...info, placement: { kind: 'slurm', jobId: job.jobId, node: job.node } });
  }
  await folder.writeStatus({
    version: PROTOCOL_VERSION,
    status: runStatusOfEndedJob(job.state),
    pid: previous?.pid ?? null,
    exitCode: shellExitCode(job),
    signal: signalName(job.signal),
    startedAt: previous?.startedAt ?? info?.createdAt ?? new Date().toISOString(),
    endedAt: new Date().toISOString(),
    message: describeEndedJob(job),
  });
}

async function hasContent(path: string): Promise<boolean> {
  try {
    return (await stat(path)).size > 0;
  } catch {
    return false;
  }
}
