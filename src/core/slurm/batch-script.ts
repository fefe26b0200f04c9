import { basename } from 'node:path';
import type { SlurmTarget } from './target';

export interface BatchScriptSpec {
  target: SlurmTarget;
  runId: string;
  jobName: string;
  /** Where the job runs (the workspace is on a filesystem the nodes share). */
  cwd: string;
  /** The job's output file; `%j` is replaced by Slurm with the job id. */
  outputFile: string;
  /** The bundled CLI (`dist/cli.js`) as the nodes see it. */
  cliPath: string;
  /** Launcher options before `--` (experiment, name, params, workspace). */
  launcherArgs: readonly string[];
  command: readonly string[];
}

const PYTHON = /^python(\d+(\.\d+)*)?$/;

/** Quotes a word for bash: single quotes, with embedded single quotes closed and escaped. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `#SBATCH` values go through sbatch's own parser, which understands double quotes. */
function directive(option: string, value: string | number): string {
  const text = String(value);
  return `#SBATCH ${option}=${/\s/.test(text) ? `"${text}"` : text}`;
}

/** The sbatch options a target asks for, as the directives at the top of the batch script. */
export function sbatchDirectives(target: SlurmTarget): string[] {
  const lines: string[] = [];
  if (target.partition) lines.push(directive('--partition', target.partition));
  if (target.account) lines.push(directive('--account', target.account));
  if (target.time) lines.push(directive('--time', target.time));
  if (target.cpus) lines.push(directive('--cpus-per-task', target.cpus));
  if (target.mem) lines.push(directive('--mem', target.mem));
  if (target.gpus !== undefined) lines.push(directive('--gpus', target.gpus));
  if (target.gres) lines.push(directive('--gres', target.gres));
  for (const option of target.extraOptions) lines.push(`#SBATCH ${option}`);
  return lines;
}

/** The command as the nodes run it: a bare `python` becomes the target's interpreter. */
export function commandOnNode(target: SlurmTarget, command: readonly string[]): string[] {
  const [program = '', ...rest] = command;
  if (target.interpreter && PYTHON.test(basename(program))) return [target.interpreter, ...rest];
  return [...command];
}

/**
 * A batch script that runs the bundled launcher on the node, so the job records the run in its
 * pre-created folder exactly as a local run would (same run.json, events, output and status).
 */
export function renderBatchScript(spec: BatchScriptSpec): string {
  const { target } = spec;
  const launcher = [target.node, spec.cliPath, 'run', '--run-id', spec.runId, ...spec.launcherArgs, '--'];
  const lines = [
    '#!/bin/bash',
    directive('--job-name', spec.jobName),
    directive('--output', spec.outputFile),
    directive('--chdir', spec.cwd),
    ...sbatchDirectives(target),
    '',
    `# Trackside run ${spec.runId}: the launcher records metrics, output and status in the run folder.`,
    ...Object.entries(target.env).map(([key, value]) => `export ${key}=${shellQuote(value)}`),
    ...target.setup,
    `exec ${[...launcher, ...commandOnNode(target, spec.command)].map(shellQuote).join(' ')}`,
    '',
  ];
  return lines.join('\n');
}
