import { parseArgs, type ParseArgsConfig } from 'node:util';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseParamValue } from '../../core/runs/command-line';
import type { ParamValue } from '../../core/runs/protocol';
import { findWorkspaceRoot } from '../../core/runs/workspace';
import { requirePlainText } from '../../core/shell/quoting';
import { CliError } from '../errors';
import { SYSTEM_METRICS_INTERVAL_ENV } from '../../core/runs/system-metrics';

/** Options shared by the commands that start runs later (queue add, submit): parsed like `trackside run`'s. */
export interface DeferredRunOptions {
  command: string[];
  cwd: string;
  workspaceRoot: string;
  experiment?: string;
  name?: string;
  params: Record<string, ParamValue>;
  /** Values of the command's own options (--slurm, --compute-file…), by flag. */
  extra: Map<string, string>;
  flags: Set<string>;
}

/**
 * Parses `[options] -- <command…>`. `valueOptions` and `booleanFlags` are the command's own options
 * beyond the shared ones (--experiment, --name, --param, --cwd, --workspace).
 */
export function parseDeferredRun(
  args: readonly string[],
  usage: string,
  valueOptions: readonly string[] = [],
  booleanFlags: readonly string[] = [],
): DeferredRunOptions {
  const separator = args.indexOf('--');
  if (separator < 0) throw new CliError(`missing \`--\` before the command — ${usage}`, 2);
  const command = args.slice(separator + 1);
  if (!command[0]) throw new CliError(`no command after \`--\` — ${usage}`, 2);
  const parsed = parseOptions(
    args.slice(0, separator),
    ['--experiment', '--name', '--param', '--cwd', '--workspace', ...valueOptions],
    booleanFlags,
    usage,
  );
  const cwd = folder('--cwd', parsed.values.get('--cwd')?.[0] ?? process.cwd());
  const workspace = parsed.values.get('--workspace')?.[0];
  const params: Record<string, ParamValue> = {};
  for (const pair of parsed.values.get('--param') ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`--param expects key=value, got ${JSON.stringify(pair)}`, 2);
    params[pair.slice(0, eq).trim()] = parseParamValue(pair.slice(eq + 1));
  }
  const extra = new Map<string, string>();
  for (const option of valueOptions) {
    const value = parsed.values.get(option)?.at(-1);
    if (value !== undefined) extra.set(option, value);
  }
  return {
    command,
    cwd,
    workspaceRoot: workspace ? folder('--workspace', workspace) : findWorkspaceRoot(cwd),
    experiment: plainText('--experiment', parsed.values.get('--experiment')?.at(-1)),
    name: plainText('--name', parsed.values.get('--name')?.at(-1)),
    params,
    extra,
    flags: parsed.flags,
  };
}

/** A name given on the command line: one line of plain text (it reaches batch scripts and job names). */
function plainText(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return requirePlainText(flag, value);
  } catch (error) {
    throw new CliError((error as Error).message, 2);
  }
}

export interface ParsedOptions {
  values: Map<string, string[]>;
  flags: Set<string>;
  positional: string[];
}

/**
 * `--flag value`, `--flag=value`, boolean flags and positional arguments, read by `util.parseArgs`
 * (unknown options and missing values are usage errors, exit code 2). Values keep their order.
 */
export function parseOptions(
  args: readonly string[],
  valueOptions: readonly string[],
  booleanFlags: readonly string[],
  usage: string,
): ParsedOptions {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const flag of valueOptions) options[flag.slice(2)] = { type: 'string', multiple: true };
  for (const flag of booleanFlags) options[flag.slice(2)] = { type: 'boolean' };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError(`${(error as Error).message.split('. ')[0]} — ${usage}`, 2);
  }
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  for (const [name, value] of Object.entries(parsed.values)) {
    if (Array.isArray(value)) values.set(`--${name}`, value.map(String));
    else if (value === true) flags.add(`--${name}`);
  }
  return { values, flags, positional: parsed.positionals };
}

export function positiveInteger(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${flag} expects a whole number ≥ 1, got ${value}`, 2);
  return n;
}

function folder(flag: string, value: string): string {
  const dir = resolve(value);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliError(`${flag}: no such folder ${dir}`, 2);
  return dir;
}

/**
 * The launcher's system-metrics interval in milliseconds from TRACKSIDE_SYSTEM_METRICS_INTERVAL
 * (seconds, fractions allowed, 0 = off); undefined when it is unset, so the launcher's default holds.
 */
export function systemMetricsIntervalMs(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env[SYSTEM_METRICS_INTERVAL_ENV]?.trim();
  if (raw === undefined || raw === '') return undefined;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new CliError(
      `${SYSTEM_METRICS_INTERVAL_ENV} expects seconds between samples (0 turns them off), got ${JSON.stringify(raw)}`,
      2,
    );
  }
  return Math.round(seconds * 1000);
}

/** The bundled CLI itself: queue runners and batch scripts start `<node> <this file> run …`. */
export function bundledCliPath(): string {
  return resolve(process.argv[1] ?? 'trackside');
}
