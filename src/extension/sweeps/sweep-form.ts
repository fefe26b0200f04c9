import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { metricDirection } from '../../core/metrics/direction';
import { declaredPythonParams } from '../../core/runs/argv-params';
import type { SweepDefinitionInput } from '../../core/sweeps/definition';
import { describeSpec, parseParamSpec, type SweepParamInput } from './param-spec';

export interface SweepFormContext {
  /** The script the form starts with (the active editor's), if any. */
  script?: vscode.Uri;
  /** Metric keys the script's earlier runs logged. */
  knownMetrics(script: vscode.Uri): Promise<string[]>;
  /** Names in trackside.compute. */
  computeTargets: string[];
}

export interface SweepFormResult {
  script: vscode.Uri;
  definition: SweepDefinitionInput;
}

type Pick<T> = vscode.QuickPickItem & { value: T };

async function pick<T>(items: Pick<T>[], title: string, placeHolder: string): Promise<T | undefined> {
  const chosen = await vscode.window.showQuickPick(items, { title, placeHolder, ignoreFocusOut: true });
  return chosen?.value;
}

/**
 * The quick form of "Run Sweep…": script, params (values or ranges), method, budget, metric and
 * goal, target. Resolves to the sweep definition, or undefined when the user cancels.
 */
export async function sweepForm(context: SweepFormContext): Promise<SweepFormResult | undefined> {
  const title = 'New Sweep';
  const script = await pickScript(context.script, `${title} (1/6): script`);
  if (!script) return undefined;
  const params = await pickParams(script, `${title} (2/6): params of ${path.basename(script.fsPath)}`);
  if (!params) return undefined;
  const method = await pick<'grid' | 'random'>(
    [
      { label: 'grid', description: 'every combination, in order', value: 'grid' },
      { label: 'random', description: 'seeded samples (needs a budget)', value: 'random' },
    ],
    `${title} (3/6): method`,
    'How trials are chosen',
  );
  if (!method) return undefined;
  const budgetText = await vscode.window.showInputBox({
    title: `${title} (4/6): budget`,
    prompt: method === 'random' ? 'How many trials to run' : 'Most trials to run (empty: every grid point)',
    value: method === 'random' ? '8' : '',
    ignoreFocusOut: true,
    validateInput: (v) =>
      (v.trim() === '' && method === 'grid') || /^[1-9]\d*$/.test(v.trim()) ? undefined : 'A whole number of trials.',
  });
  if (budgetText === undefined) return undefined;
  const metric = await pickMetric(script, await context.knownMetrics(script), `${title} (5/6): metric`);
  if (!metric) return undefined;
  const target = await pick<string>(
    [
      { label: '$(list-ordered) Local queue', description: 'trials wait in the queue', value: 'local' },
      ...context.computeTargets.map((name) => ({
        label: `$(server-environment) Slurm: ${name}`,
        description: 'one job per trial',
        value: `slurm:${name}`,
      })),
    ],
    `${title} (6/6): where trials run`,
    'Local queue or a Slurm compute target',
  );
  if (!target) return undefined;
  const folder = vscode.workspace.getWorkspaceFolder(script);
  const relative = folder ? path.relative(folder.uri.fsPath, script.fsPath) : script.fsPath;
  const definition: SweepDefinitionInput = {
    name: path.basename(script.fsPath, path.extname(script.fsPath)),
    command: [script.fsPath.endsWith('.py') ? 'python' : 'node', relative.split(path.sep).join('/')],
    method,
    params,
    ...(budgetText.trim() ? { budget: Number(budgetText.trim()) } : {}),
    metric,
    target: target === 'local' ? 'local' : 'slurm',
    ...(target.startsWith('slurm:') ? { compute: target.slice('slurm:'.length) } : {}),
  };
  return { script, definition };
}

async function pickScript(initial: vscode.Uri | undefined, title: string): Promise<vscode.Uri | undefined> {
  const found = await vscode.workspace.findFiles('**/*.py', '{**/.trackside/**,**/node_modules/**,**/.venv/**}', 500);
  const files = [...(initial ? [initial] : []), ...found.filter((f) => f.toString() !== initial?.toString())];
  if (files.length === 0) {
    void vscode.window.showWarningMessage('No Python training script in this workspace to sweep over.');
    return undefined;
  }
  return pick(
    files.map((f) => ({
      label: path.basename(f.fsPath),
      description: vscode.workspace.asRelativePath(f),
      value: f,
    })),
    title,
    'The training script whose params the sweep varies',
  );
}

type ParamPick = vscode.QuickPickItem & { key?: string; action?: 'continue' | 'add' };

async function pickParams(script: vscode.Uri, title: string): Promise<Record<string, SweepParamInput> | undefined> {
  const declared = script.fsPath.endsWith('.py') ? declaredPythonParams(await readFile(script.fsPath, 'utf8')) : [];
  const defaults = new Map(declared.map((p) => [p.key, p.defaultValue]));
  const swept: Record<string, SweepParamInput> = {};
  for (;;) {
    const keys = [...new Set([...declared.map((p) => p.key), ...Object.keys(swept)])];
    const items: ParamPick[] = [
      {
        label: '$(check) Continue',
        description: Object.keys(swept).length
          ? `sweep ${Object.keys(swept).join(', ')}`
          : 'pick a param to sweep first',
        action: 'continue',
        alwaysShow: true,
      },
      ...keys.map((key) => ({
        label: key,
        description: swept[key] ? describeSpec(swept[key]) : `default ${String(defaults.get(key) ?? '–')}`,
        detail: swept[key] ? 'swept' : undefined,
        key,
      })),
      { label: '$(add) Add parameter…', action: 'add' as const, alwaysShow: true },
    ];
    const chosen = await vscode.window.showQuickPick(items, {
      title,
      placeHolder: 'Pick a param to give it values or a range, then Continue',
      ignoreFocusOut: true,
    });
    if (!chosen) return undefined;
    if (chosen.action === 'continue') {
      if (Object.keys(swept).length > 0) return swept;
      continue;
    }
    let key = chosen.key;
    if (chosen.action === 'add') {
      key = await vscode.window.showInputBox({
        title,
        prompt: 'Parameter name, as the script reads it (lr for --lr)',
        ignoreFocusOut: true,
        validateInput: (v) => (/^[A-Za-z_][\w.-]*$/.test(v) ? undefined : 'Letters, digits, _ . - only.'),
      });
    }
    if (!key) continue;
    const text = await vscode.window.showInputBox({
      title,
      prompt: `${key}: values (0.01, 0.1, 1) or a range (1e-4..1e-1 log steps=4; int for whole numbers). Empty: not swept.`,
      value: key in swept ? describeSpec(swept[key]!) : '',
      ignoreFocusOut: true,
      validateInput: (v) => {
        if (!v.trim()) return undefined;
        const spec = parseParamSpec(v);
        return typeof spec === 'string' ? spec : undefined;
      },
    });
    if (text === undefined) continue;
    if (!text.trim()) {
      delete swept[key];
      continue;
    }
    const spec = parseParamSpec(text);
    if (typeof spec !== 'string') swept[key] = spec;
  }
}

async function pickMetric(
  script: vscode.Uri,
  known: string[],
  title: string,
): Promise<{ name: string; goal: 'min' | 'max' } | undefined> {
  const source = await readFile(script.fsPath, 'utf8').catch(() => '');
  const logged = [...source.matchAll(/log_metric\(\s*["']([^"']+)["']/g)].map((m) => m[1]!);
  const keys = [...new Set([...logged, ...known])];
  let name = await pick<string>(
    [...keys.map((key) => ({ label: key, value: key })), { label: '$(edit) Other metric…', value: '' }],
    title,
    'The metric that ranks the trials',
  );
  if (name === undefined) return undefined;
  if (name === '') {
    name = await vscode.window.showInputBox({ title, prompt: 'Metric key the script logs', ignoreFocusOut: true });
    if (!name) return undefined;
  }
  const lower = metricDirection(name) === 'min';
  const goal = await pick<'min' | 'max'>(
    [
      { label: lower ? 'min (lower is better)' : 'max (higher is better)', value: lower ? 'min' : 'max' },
      { label: lower ? 'max (higher is better)' : 'min (lower is better)', value: lower ? 'max' : 'min' },
    ],
    title,
    `Is a lower or a higher ${name} better?`,
  );
  return goal ? { name, goal } : undefined;
}
