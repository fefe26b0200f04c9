import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { declaredPythonParams, withParams } from '../../core/runs/argv-params';
import { describeCommand, parseParamValue, paramsFromArgs } from '../../core/runs/command-line';
import type { ParamValue } from '../../core/runs/protocol';
import { getRunDetail, type RunDetail } from '../../core/store/run-detail';
import { queryRuns } from '../../core/store/runs';
import { launchTrackedRun } from './launch-task';
import { scriptTarget } from './script-target';
import { RefusedError } from '../refusal';
import type { Services } from '../services';
import { requireTrust } from '../trust';

/** Starts runs from the editor: the current file, with changed params, or again as before. */
export class RunCommands {
  constructor(private readonly services: Services) {}

  async runFile(target?: vscode.Uri): Promise<void> {
    requireTrust();
    const { file, folder, command } = await scriptTarget(this.services.settings, target);
    await launchTrackedRun(this.services.extensionUri, {
      workspaceFolder: folder,
      command,
      label: `Run ${path.basename(file.fsPath)}`,
    });
  }

  /** Shows the script's params with their last values (or its argparse defaults) and runs with the user's edits. */
  async runFileWithParams(target?: vscode.Uri): Promise<void> {
    requireTrust();
    const { file, folder, command: base } = await scriptTarget(this.services.settings, target);
    const last = await this.lastRunOf(file.fsPath);
    const known: Record<string, ParamValue> = {};
    if (file.fsPath.endsWith('.py')) {
      for (const p of declaredPythonParams(await readFile(file.fsPath, 'utf8'))) {
        if (p.defaultValue !== undefined) known[p.key] = p.defaultValue;
      }
    }
    const lastArgs = last ? describeCommand(last.argv, last.cwd).scriptArgs : [];
    Object.assign(known, paramsFromArgs(lastArgs));
    const edit = await editParams(known, `Run ${path.basename(file.fsPath)} with Parameters`, true);
    if (!edit) return;
    const command = [...base, ...withParams(lastArgs, edit.changes)];
    // Queue instead of run: the local queue starts it when a slot is free (src/extension/queue).
    if (edit.queue) {
      await vscode.commands.executeCommand('trackside.queueCurrentFile', file, command);
      return;
    }
    await launchTrackedRun(this.services.extensionUri, {
      workspaceFolder: folder,
      command,
      label: `Run ${path.basename(file.fsPath)}`,
    });
  }

  async rerun(runId: string, changeParams: boolean): Promise<void> {
    requireTrust();
    const service = this.services.folders.requireRun(runId);
    const detail = getRunDetail(await service.store(), runId);
    if (!detail) throw new RefusedError('unknown-run', `Run ${runId} is not in the index any more.`);
    // The run trains again where it did: the folder of its working directory, else the run's own.
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(detail.cwd)) ?? service.folder;
    const shape = describeCommand(detail.argv, detail.cwd);
    let argv = detail.argv;
    if (changeParams) {
      // The params the run recorded (argparse values it logged) and those on its command line, which win.
      const current = { ...recordedParams(detail), ...paramsFromArgs(shape.scriptArgs) };
      const edit = await editParams(current, `Rerun ${detail.name} with Changed Params`);
      if (!edit) return;
      const prefix = detail.argv.slice(0, detail.argv.length - shape.scriptArgs.length);
      argv = [...prefix, ...withParams(shape.scriptArgs, edit.changes)];
    }
    await launchTrackedRun(this.services.extensionUri, {
      workspaceFolder: folder,
      command: argv,
      cwd: detail.cwd,
      runOptions: ['--experiment', detail.experiment],
      label: `Rerun ${detail.name}`,
    });
  }

  /** The newest run of a script file, if its folder's index has one. */
  private async lastRunOf(file: string): Promise<RunDetail | undefined> {
    const folder = this.services.folders.forUri(vscode.Uri.file(file));
    if (!folder?.hasRuns()) return undefined;
    const store = await folder.store();
    const { rows } = queryRuns(store, { text: path.basename(file), limit: 50 });
    for (const row of rows) {
      const detail = getRunDetail(store, row.id);
      if (detail?.script && path.resolve(detail.cwd, detail.script) === file) return detail;
    }
    return undefined;
  }
}

function recordedParams(detail: RunDetail): Record<string, ParamValue> {
  return Object.fromEntries(
    detail.params.map((p) => [p.key, p.number !== null ? p.number : p.text === null ? null : parseParamValue(p.text)]),
  );
}

type ParamPick = vscode.QuickPickItem & { key?: string; action?: 'run' | 'queue' | 'add' };

/**
 * A quick pick of params: pick one to change its value, "Add parameter…" for a new one, and
 * "Run" (or "Queue", when `queueable`) to start with the changes. Resolves to the changed params and
 * whether to queue, or undefined when cancelled.
 */
async function editParams(
  initial: Record<string, ParamValue>,
  title: string,
  queueable = false,
): Promise<{ changes: Record<string, ParamValue>; queue: boolean } | undefined> {
  const values = { ...initial };
  const changes: Record<string, ParamValue> = {};
  for (;;) {
    const items: ParamPick[] = [
      { label: '$(play) Run', description: describeChanges(changes), action: 'run', alwaysShow: true },
      ...(queueable
        ? [
            {
              label: '$(list-ordered) Queue',
              description: 'start when the local queue has a free slot',
              action: 'queue' as const,
              alwaysShow: true,
            },
          ]
        : []),
      ...Object.entries(values).map(([key, value]) => ({
        label: key,
        description: String(value),
        detail: key in changes ? `changed from ${String(initial[key] ?? '(unset)')}` : undefined,
        key,
      })),
      { label: '$(add) Add parameter…', action: 'add' as const, alwaysShow: true },
    ];
    const pick = await vscode.window.showQuickPick(items, {
      title,
      placeHolder: 'Pick a parameter to change it, then Run',
      ignoreFocusOut: true,
    });
    if (!pick) return undefined;
    if (pick.action === 'run' || pick.action === 'queue') return { changes, queue: pick.action === 'queue' };
    let key = pick.key;
    if (pick.action === 'add') {
      key = await vscode.window.showInputBox({
        title,
        prompt: 'Parameter name, as the script reads it (e.g. lr for --lr)',
        validateInput: (v) => (/^[A-Za-z_][\w.-]*$/.test(v) ? undefined : 'Letters, digits, _ . - only.'),
      });
    }
    if (!key) continue;
    const text = await vscode.window.showInputBox({
      title,
      prompt: `Value of ${key}`,
      value: values[key] === undefined ? '' : String(values[key]),
      ignoreFocusOut: true,
    });
    if (text === undefined) continue;
    values[key] = changes[key] = parseParamValue(text);
  }
}

function describeChanges(changes: Record<string, ParamValue>): string {
  const entries = Object.entries(changes);
  return entries.length === 0 ? 'with these values' : entries.map(([k, v]) => `${k}=${String(v)}`).join(' ');
}
