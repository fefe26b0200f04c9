import * as vscode from 'vscode';
import { findEntryPointLine } from '../../core/inline/entry-point';
import type { Settings } from '../settings';

/**
 * "Queue" and, when `trackside.compute` has targets, "Run on Slurm…" above a training script's
 * entry point, beside the Run lenses of the editor feature.
 */
export class ComputeCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changeEmitter.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly settings: Settings) {
    this.subscription = settings.onDidChange(['compute'], () => this.changeEmitter.fire());
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const line = findEntryPointLine(document.getText());
    const range = new vscode.Range(line, 0, line, 0);
    const lenses = [
      new vscode.CodeLens(range, {
        title: '$(list-ordered) Queue',
        tooltip: 'Add this script to the local queue: it starts when a slot is free',
        command: 'trackside.queueCurrentFile',
        arguments: [document.uri],
      }),
    ];
    if (this.settings.computeTargetNames(document.uri).length > 0) {
      lenses.push(
        new vscode.CodeLens(range, {
          title: '$(server-environment) Run on Slurm…',
          tooltip: 'Submit this script to a Slurm compute target (trackside.compute)',
          command: 'trackside.runOnSlurm',
          arguments: [document.uri],
        }),
      );
    }
    return lenses;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changeEmitter.dispose();
  }
}
