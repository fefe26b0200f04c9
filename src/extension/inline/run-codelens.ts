import * as vscode from 'vscode';
import { firstCodeLine, mainGuardLine } from '../../core/inline/entry-point';
import { recentRunsOfScript } from '../../core/inline/script-runs';
import { formatNumber } from '../../core/format/numbers';
import { defaultPrimaryMetric } from '../../core/metrics/primary-metric';
import type { Folders } from '../workspace/folders';

/**
 * Above a training script's entry point: Run with Trackside, Run with Parameters…, and once the
 * script has runs, Compare and its last result. A script with a `__main__` guard (at its bottom,
 * as a rule) also has Run and Run with Parameters… at its top, where a user opening it looks.
 */
export class RunCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changeEmitter.event;
  private readonly subscription: vscode.Disposable;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly folders: Folders,
    private readonly primaryMetric: (experiment: string) => string | undefined,
  ) {
    this.subscription = folders.onDidChangeRuns(() => {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.changeEmitter.fire();
      }, 1000);
    });
  }

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    const source = document.getText();
    const top = firstCodeLine(source);
    const line = mainGuardLine(source) ?? top;
    const range = new vscode.Range(line, 0, line, 0);
    const runLenses = (at: vscode.Range) => [
      new vscode.CodeLens(at, {
        title: '$(play) Run with Trackside',
        command: 'trackside.runCurrentFile',
        arguments: [document.uri],
      }),
      new vscode.CodeLens(at, {
        title: 'Run with Parameters…',
        command: 'trackside.runWithParameters',
        arguments: [document.uri],
      }),
    ];
    const lenses = [...(line !== top ? runLenses(new vscode.Range(top, 0, top, 0)) : []), ...runLenses(range)];
    const folder = this.folders.forUri(document.uri);
    if (!folder?.hasRuns()) return lenses;
    const runs = recentRunsOfScript(await folder.store(), document.uri.fsPath, 5);
    const [last] = runs;
    if (runs.length >= 2) {
      lenses.push(
        new vscode.CodeLens(range, {
          title: `Compare last ${runs.length} runs`,
          command: 'trackside.compareRuns',
          arguments: [runs.map((r) => r.run.id)],
        }),
      );
    }
    if (last) {
      const key = this.primaryMetric(last.run.experiment) ?? defaultPrimaryMetric([...last.summaries.keys()]);
      const value = key !== undefined ? last.summaries.get(key)?.last : undefined;
      const result = key && value !== undefined && value !== null ? ` · ${key} ${formatNumber(value)}` : '';
      lenses.push(
        new vscode.CodeLens(range, {
          title: `Last run: ${last.run.name} ${last.run.status}${result}`,
          command: 'trackside.openRun',
          arguments: [last.run.id],
        }),
      );
    }
    return lenses;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.subscription.dispose();
    this.changeEmitter.dispose();
  }
}
