import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CliCommand } from '../command';
import { requirePlainText } from '../../core/shell/quoting';
import { CliError } from '../errors';
import { parseOptions, systemMetricsIntervalMs } from './launch-options';
import { parseParamValue } from '../../core/runs/command-line';
import { launchRun, type LaunchOptions } from '../../core/runs/launcher';
import type { ParamValue } from '../../core/runs/protocol';
import { compileMetricPattern, MetricPatternError, type MetricPattern } from '../../core/runs/stdout-metrics';

const USAGE = `Usage: trackside run [options] -- <command…>

Runs a command as a tracked run: records git state, environment and params, tees its output to
.trackside/runs/<id>/output.log, reads metrics from what it prints, and exits with its exit code.

Options:
  --experiment <name>         experiment to file the run under (default: the script's name)
  --name <name>               run name (default: a generated readable name)
  --param <key=value>         a param to record (repeatable; numbers are parsed)
  --cwd <dir>                 working folder of the command (default: current folder)
  --workspace <dir>           folder whose .trackside/ receives the run (default: nearest one above --cwd)
  --run-id <id>               start a run created ahead (queued or submitted to Slurm) in its folder
  --slurm <target>            run on a Slurm compute target instead (see trackside submit --help)
  --packages <a,b,…>          Python packages whose versions are recorded (default: torch,sklearn,numpy,…)
  --metric-regex <regex>      extra output pattern with named groups (?<key>…) and (?<value>…)
  --metric-regex-for <k=regex>  extra output pattern for metric k, value in (?<value>…) or group 1
  --no-parse                  do not read metrics from the output
  -h, --help                  show this help

Environment:
  TRACKSIDE_SYSTEM_METRICS_INTERVAL  seconds between samples of the run's CPU, memory and GPU use
                              (default 5; 0 turns them off)

Example:
  trackside run --param seed=1 -- python train.py --lr 0.01`;

const VALUE_OPTIONS = new Set([
  '--experiment',
  '--name',
  '--param',
  '--cwd',
  '--workspace',
  '--packages',
  '--metric-regex',
  '--metric-regex-for',
  '--run-id',
]);

/**
 * Parses `trackside run` arguments (and the environment's TRACKSIDE_SYSTEM_METRICS_INTERVAL);
 * throws CliError (exit code 2) with the fix for each mistake.
 */
export function parseRunArgs(args: readonly string[], env: NodeJS.ProcessEnv = process.env): LaunchOptions | 'help' {
  const separator = args.indexOf('--');
  const own = separator >= 0 ? args.slice(0, separator) : [...args];
  if (own.includes('--help') || own.includes('-h')) return 'help';
  if (separator < 0) {
    throw new CliError('missing `--` before the command — use: trackside run [options] -- <command…>', 2);
  }
  const command = args.slice(separator + 1);
  if (command.length === 0 || !command[0]) {
    throw new CliError('no command after `--` — e.g. trackside run -- python train.py', 2);
  }
  const params: Record<string, ParamValue> = {};
  const patterns: MetricPattern[] = [];
  const options: LaunchOptions = { command, params, metricPatterns: patterns };
  const interval = systemMetricsIntervalMs(env);
  if (interval !== undefined) options.systemMetricsIntervalMs = interval;
  const parsed = parseOptions(own, [...VALUE_OPTIONS], ['--no-parse'], 'see trackside run --help');
  if (parsed.positional.length > 0) {
    throw new CliError(`unexpected ${parsed.positional[0]} before \`--\` — see trackside run --help`, 2);
  }
  if (parsed.flags.has('--no-parse')) options.parseOutput = false;
  for (const [flag, list] of parsed.values) {
    for (const value of list) {
      switch (flag) {
        case '--experiment':
          options.experiment = nonEmpty(flag, value);
          break;
        case '--name':
          options.name = nonEmpty(flag, value);
          break;
        case '--param': {
          const [key, paramValue] = splitKeyValue(flag, value);
          params[key] = parseParamValue(paramValue);
          break;
        }
        case '--cwd':
          options.cwd = existingFolder(flag, value);
          break;
        case '--run-id':
          if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(value)) throw new CliError(`--run-id: not a run id: ${value}`, 2);
          options.runId = value;
          break;
        case '--workspace':
          options.workspaceRoot = existingFolder(flag, value);
          break;
        case '--packages':
          options.packages = value
            .split(',')
            .map((p) => p.trim())
            .filter(Boolean);
          break;
        case '--metric-regex':
          patterns.push(pattern(() => compileMetricPattern(value)));
          break;
        case '--metric-regex-for': {
          const [key, source] = splitKeyValue(flag, value);
          patterns.push(pattern(() => compileMetricPattern(source, key)));
          break;
        }
      }
    }
  }
  return options;
}

/** A name is one line of plain text: it reaches batch scripts, job names and tree rows. */
function nonEmpty(flag: string, value: string): string {
  try {
    return requirePlainText(flag, value);
  } catch (error) {
    throw new CliError((error as Error).message, 2);
  }
}

function splitKeyValue(flag: string, value: string): [string, string] {
  const eq = value.indexOf('=');
  const key = eq > 0 ? value.slice(0, eq).trim() : '';
  if (!key) throw new CliError(`${flag} expects key=value, got ${JSON.stringify(value)} — e.g. ${flag} lr=0.01`, 2);
  return [key, value.slice(eq + 1)];
}

function existingFolder(flag: string, value: string): string {
  const dir = resolve(value);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliError(`${flag}: no such folder ${dir}`, 2);
  return dir;
}

function pattern(build: () => MetricPattern): MetricPattern {
  try {
    return build();
  } catch (error) {
    if (error instanceof MetricPatternError) throw new CliError(error.message, 2);
    throw error;
  }
}

export const runCommand: CliCommand = {
  async run(args) {
    const own = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
    if (own.some((arg) => arg === '--slurm' || arg.startsWith('--slurm='))) {
      // Same contract as a local run: follow the job to its end and exit with the run's exit code.
      const { submitCommand } = await import('./submit');
      return submitCommand.run(['--wait', ...args]);
    }
    const options = parseRunArgs(args);
    if (options === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const result = await launchRun(options);
    return result.exitCode;
  },
};
