import { basename } from 'node:path';
import { hasControlCharacter, oneLine, shellQuote, UnsafeValueError } from '../shell/quoting';
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

/**
 * `#SBATCH` values go through sbatch's own parser, which understands double quotes but no escapes:
 * a value with a line break would end the directive and start a command, so it is refused here
 * (paths) or made one line (`label`, for the job name, which is only shown).
 */
function directive(option: string, value: string | number, kind: 'value' | 'label' = 'value'): string {
  let text = String(value);
  if (kind === 'label') text = oneLine(text).replace(/"/g, "'");
  else if (hasControlCharacter(text) || text.includes('"')) {
    throw new UnsafeValueError(
      hasControlCharacter(text) ? 'control-character' : 'double-quote',
      `sbatch ${option}`,
      `sbatch ${option} cannot be ${JSON.stringify(text)}: a batch-script directive is one line without double quotes`,
    );
  }
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
    directive('--job-name', spec.jobName, 'label'),
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
