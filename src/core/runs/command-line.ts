import { readFileSync } from 'node:fs';
import { basename, extname, isAbsolute, join } from 'node:path';
import type { ParamValue } from './protocol';

/**
 * What the launcher learns from the command it starts: which interpreter runs which script with
 * which arguments. That names the experiment, finds the params in the script's own argv, and says
 * whether the Python environment is worth probing.
 */
export interface CommandShape {
  /** `python` when a Python interpreter runs the script (its packages are then probed). */
  kind: 'python' | 'node' | 'other';
  /** The interpreter as written (`/usr/bin/python3`, `python`), when there is one. */
  interpreter: string | null;
  /** The script path as written, or `-m module` target; null for `-c` code or a bare program. */
  script: string | null;
  /** True when `script` is a module name (`python -m pkg.train`), not a path. */
  scriptIsModule?: boolean;
  /** Arguments given to the script (or the program), where its params are read from. */
  scriptArgs: string[];
}

const PYTHON = /^python(\d+(\.\d+)*)?(\.exe)?$/i;
const NODE = /^(node|nodejs|bun|deno|tsx)(\.exe)?$/i;
/** Runners that take the real command after them: `uv run python train.py`. */
const WRAPPERS: Record<string, number> = { uv: 1, poetry: 1, pipenv: 1, pdm: 1, hatch: 1 };
/** Python options that take a value (`-W error`), and the ones that end option parsing. */
const PYTHON_VALUE_OPTIONS = new Set(['-W', '-X', '--check-hash-based-pycs']);
const NODE_VALUE_OPTIONS = new Set([
  '-r',
  '--require',
  '--import',
  '--loader',
  '--experimental-loader',
  '--conditions',
  '-C',
]);

export function describeCommand(argv: readonly string[], cwd: string): CommandShape {
  const [program = '', ...rest] = argv;
  const name = basename(program);
  const wrapperArgs = WRAPPERS[name];
  if (wrapperArgs !== undefined && rest[0] === 'run' && rest.length > wrapperArgs) {
    return describeCommand(rest.slice(wrapperArgs), cwd);
  }
  if (PYTHON.test(name)) return describePython(program, rest);
  if (NODE.test(name)) return describeNode(program, rest);
  if (extname(name) === '.py') {
    return { kind: 'python', interpreter: shebangInterpreter(program, cwd), script: program, scriptArgs: rest };
  }
  // torchrun, accelerate launch, deepspeed…: the first .py argument is the training script.
  const scriptIndex = rest.findIndex((arg) => extname(arg) === '.py');
  if (scriptIndex >= 0) {
    return {
      kind: 'other',
      interpreter: null,
      script: rest[scriptIndex] ?? null,
      scriptArgs: rest.slice(scriptIndex + 1),
    };
  }
  return { kind: 'other', interpreter: null, script: null, scriptArgs: rest };
}

function describePython(interpreter: string, args: string[]): CommandShape {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '-c') return { kind: 'python', interpreter, script: null, scriptArgs: args.slice(i + 2) };
    if (arg === '-m')
      return {
        kind: 'python',
        interpreter,
        script: args[i + 1] ?? null,
        scriptIsModule: true,
        scriptArgs: args.slice(i + 2),
      };
    if (arg.startsWith('-m') && arg.length > 2) {
      return { kind: 'python', interpreter, script: arg.slice(2), scriptIsModule: true, scriptArgs: args.slice(i + 1) };
    }
    if (PYTHON_VALUE_OPTIONS.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith('-') && arg !== '-') continue;
    return { kind: 'python', interpreter, script: arg === '-' ? null : arg, scriptArgs: args.slice(i + 1) };
  }
  return { kind: 'python', interpreter, script: null, scriptArgs: [] };
}

function describeNode(interpreter: string, args: string[]): CommandShape {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '-e' || arg === '--eval' || arg === '-p' || arg === '--print') {
      return { kind: 'node', interpreter, script: null, scriptArgs: args.slice(i + 2) };
    }
    if (NODE_VALUE_OPTIONS.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith('-')) continue;
    return { kind: 'node', interpreter, script: arg, scriptArgs: args.slice(i + 1) };
  }
  return { kind: 'node', interpreter, script: null, scriptArgs: [] };
}

/** `#!/usr/bin/env python3` → `python3`; null when the file has no Python shebang. */
function shebangInterpreter(script: string, cwd: string): string | null {
  try {
    const head = readFileSync(isAbsolute(script) ? script : join(cwd, script), 'utf8').slice(0, 200);
    const match = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(head);
    if (!match?.[1]) return null;
    const program = basename(match[1]) === 'env' && match[2] ? match[2] : match[1];
    return PYTHON.test(basename(program)) ? program : null;
  } catch {
    return null;
  }
}

/** A text value as a param: numbers become numbers, true/false booleans, the rest stays text. */
export function parseParamValue(text: string): ParamValue {
  const trimmed = text.trim();
  if (/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(trimmed)) return Number(trimmed);
  if (trimmed === 'true' || trimmed === 'True') return true;
  if (trimmed === 'false' || trimmed === 'False') return false;
  return text;
}

/**
 * Params from a script's own argv: `--lr 0.1`, `--lr=0.1`, `-e 5`, and flags (`--verbose`) as true.
 * Dashes inside names become underscores (`--max-iter` → `max_iter`), the name argparse gives the
 * attribute, so these keys match what the script logs itself. Positional arguments are not params.
 */
export function paramsFromArgs(args: readonly string[]): Record<string, ParamValue> {
  const params: Record<string, ParamValue> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') break;
    const option = /^--?([A-Za-z_][\w.-]*)(?:=(.*))?$/s.exec(arg);
    if (!option?.[1]) continue;
    const key = option[1].replace(/-/g, '_');
    if (option[2] !== undefined) {
      params[key] = parseParamValue(option[2]);
      continue;
    }
    const next = args[i + 1];
    if (next !== undefined && (!next.startsWith('-') || /^-[\d.]/.test(next))) {
      params[key] = parseParamValue(next);
      i++;
    } else {
      params[key] = true;
    }
  }
  return params;
}

/** The experiment a run joins by default: the script's file stem, else the program's name. */
export function defaultExperiment(shape: CommandShape, argv: readonly string[]): string {
  if (shape.script) {
    if (shape.scriptIsModule) return shape.script.split('.').pop() || shape.script;
    const stem = basename(shape.script, extname(shape.script));
    if (stem && stem !== '__main__') return stem;
  }
  const program = basename(argv[0] ?? 'run');
  return program.replace(/\.(exe|cmd|bat)$/i, '') || 'run';
}

const ADJECTIVES = [
  'amber',
  'brisk',
  'calm',
  'clever',
  'crisp',
  'daring',
  'eager',
  'fancy',
  'gentle',
  'glad',
  'golden',
  'humble',
  'jolly',
  'keen',
  'lively',
  'lucky',
  'mellow',
  'nimble',
  'proud',
  'quick',
  'quiet',
  'rapid',
  'rosy',
  'shy',
  'silent',
  'steady',
  'sunny',
  'swift',
  'tidy',
  'vivid',
  'witty',
  'zesty',
];
const NOUNS = [
  'badger',
  'bison',
  'comet',
  'crane',
  'delta',
  'ember',
  'falcon',
  'fern',
  'finch',
  'fox',
  'gecko',
  'harbor',
  'heron',
  'lynx',
  'maple',
  'meadow',
  'moose',
  'nebula',
  'orca',
  'otter',
  'panda',
  'pine',
  'quartz',
  'raven',
  'river',
  'robin',
  'sparrow',
  'tiger',
  'tulip',
  'walrus',
  'willow',
  'zebra',
];
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A readable name such as `swift-otter-42`, taken from the random part of the ULID: about 100,000
 * combinations, so names rarely repeat within a project while the id stays the unique key.
 */
export function readableRunName(runId: string): string {
  const digits = [...runId.slice(-6).toUpperCase()].map((c) => Math.max(CROCKFORD.indexOf(c), 0));
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0] = digits;
  const adjective = ADJECTIVES[(a * 32 + b) % ADJECTIVES.length];
  const noun = NOUNS[(c * 32 + d) % NOUNS.length];
  return `${adjective}-${noun}-${(e * 32 + f) % 100}`;
}
