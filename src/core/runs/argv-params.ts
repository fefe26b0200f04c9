import type { ParamValue } from './protocol';

/**
 * Rewrites a script's arguments with changed params: an existing `--lr 0.1` or `--lr=0.1` gets the
 * new value in the same spelling; a param the arguments lack is appended as `--name value`. Keys
 * are compared the way `paramsFromArgs` records them (dashes as underscores).
 */
export function withParams(args: readonly string[], changes: Readonly<Record<string, ParamValue>>): string[] {
  const result = [...args];
  const pending = new Map(Object.entries(changes));
  for (let i = 0; i < result.length && pending.size > 0; i++) {
    const arg = result[i] ?? '';
    if (arg === '--') break;
    const option = /^(--?)([A-Za-z_][\w.-]*)(=.*)?$/s.exec(arg);
    if (!option?.[2]) continue;
    const key = option[2].replace(/-/g, '_');
    if (!pending.has(key)) continue;
    const value = pending.get(key) ?? null;
    pending.delete(key);
    if (option[3] !== undefined) {
      result[i] = `${option[1]}${option[2]}=${formatValue(value)}`;
      continue;
    }
    const next = result[i + 1];
    const hasValue = next !== undefined && (!next.startsWith('-') || /^-[\d.]/.test(next));
    if (typeof value === 'boolean') {
      // A flag: present for true, removed for false.
      if (hasValue) result.splice(i + 1, 1);
      if (!value) result.splice(i--, 1);
    } else if (hasValue) {
      result[i + 1] = formatValue(value);
    } else {
      result.splice(i + 1, 0, formatValue(value));
    }
  }
  for (const [key, value] of pending) {
    const flag = `--${key.replace(/_/g, '-')}`;
    if (value === true) result.push(flag);
    else if (value !== false) result.push(flag, formatValue(value));
  }
  return result;
}

function formatValue(value: ParamValue): string {
  return value === null ? '' : String(value);
}

export interface DeclaredParam {
  key: string;
  /** The default as written in the script, when it is a literal. */
  defaultValue: ParamValue | undefined;
  help?: string;
}

/**
 * Params a Python script declares with argparse (`parser.add_argument("--lr", type=float,
 * default=0.1)`), so a script that has never run can still offer them. Only literal defaults are read.
 */
export function declaredPythonParams(source: string): DeclaredParam[] {
  const params: DeclaredParam[] = [];
  const call = /add_argument\(\s*((?:['"][^'"]+['"]\s*,\s*)*)([^()]*(?:\([^()]*\)[^()]*)*)\)/g;
  for (const match of source.matchAll(call)) {
    const names = [...(match[1] ?? '').matchAll(/['"]([^'"]+)['"]/g)].map((m) => m[1]!);
    const long = names.find((n) => n.startsWith('--')) ?? names.find((n) => n.startsWith('-'));
    if (!long) continue;
    const rest = match[2] ?? '';
    const dest = /\bdest\s*=\s*['"](\w+)['"]/.exec(rest)?.[1];
    const key = dest ?? long.replace(/^-+/, '').replace(/-/g, '_');
    const literal = /\bdefault\s*=\s*('[^']*'|"[^"]*"|[-+]?[\d.]+(?:e[-+]?\d+)?|True|False|None)/i.exec(rest)?.[1];
    const isFlag = /\baction\s*=\s*['"]store_true['"]/.test(rest);
    const help = /\bhelp\s*=\s*(['"])(.*?)\1/.exec(rest)?.[2];
    params.push({ key, defaultValue: isFlag ? false : literalValue(literal), ...(help ? { help } : {}) });
  }
  return params;
}

function literalValue(literal: string | undefined): ParamValue | undefined {
  if (literal === undefined) return undefined;
  if (/^['"]/.test(literal)) return literal.slice(1, -1);
  if (literal === 'True') return true;
  if (literal === 'False') return false;
  if (literal === 'None') return null;
  const n = Number(literal);
  return Number.isFinite(n) ? n : undefined;
}
