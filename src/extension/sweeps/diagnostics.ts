import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseSweepText, SweepFileError, type SweepFileIssue } from '../../core/sweeps/sweep-file';
import { jsonLineOf } from './json-location';

const SWEEP_FILE = /\.sweep\.(json|ya?ml)$/i;

export function isSweepFile(uri: vscode.Uri): boolean {
  return uri.scheme === 'file' && SWEEP_FILE.test(uri.fsPath);
}

/**
 * Problems of `*.sweep.json` / `*.sweep.yaml` files, checked by the same parser the launcher uses
 * (so rules the JSON Schema cannot say, such as "a random sweep needs a budget", show too), as
 * the file is opened, edited and saved.
 */
export class SweepDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('trackside-sweep');
  private readonly disposables: vscode.Disposable[] = [this.collection];
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor() {
    this.disposables.push(
      vscode.workspace.onDidOpenTextDocument((d) => this.check(d)),
      vscode.workspace.onDidSaveTextDocument((d) => this.check(d)),
      vscode.workspace.onDidChangeTextDocument((e) => this.checkSoon(e.document)),
      vscode.workspace.onDidCloseTextDocument((d) => this.collection.delete(d.uri)),
    );
    for (const document of vscode.workspace.textDocuments) this.check(document);
  }

  /** Validates a document now; returns the issues (none when it is valid or not a sweep file). */
  check(document: vscode.TextDocument): SweepFileIssue[] {
    if (!isSweepFile(document.uri)) return [];
    try {
      parseSweepText(document.getText(), document.uri.fsPath);
      this.collection.delete(document.uri);
      return [];
    } catch (error) {
      if (!(error instanceof SweepFileError)) throw error;
      this.show(document, error);
      return error.issues;
    }
  }

  /** Shows a SweepFileError found while launching on its file (open or not). */
  async showError(uri: vscode.Uri, error: SweepFileError): Promise<void> {
    const document = await vscode.workspace.openTextDocument(uri);
    this.show(document, error);
  }

  private show(document: vscode.TextDocument, error: SweepFileError): void {
    const text = document.getText();
    const isJson = !/\.ya?ml$/i.test(document.uri.fsPath);
    this.collection.set(
      document.uri,
      error.issues.map((issue) => {
        const line = Math.min(
          Math.max(0, (issue.line ?? (isJson ? jsonLineOf(text, issue.path) : 1)) - 1),
          document.lineCount - 1,
        );
        const range = document.lineAt(line).range;
        const where = issue.path === '(file)' || issue.path === '(root)' ? '' : `${issue.path}: `;
        const diagnostic = new vscode.Diagnostic(range, `${where}${issue.message}`, vscode.DiagnosticSeverity.Error);
        diagnostic.source = 'Trackside sweep';
        return diagnostic;
      }),
    );
  }

  private checkSoon(document: vscode.TextDocument): void {
    if (!isSweepFile(document.uri)) return;
    const key = document.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.check(document);
      }, 400),
    );
  }

  dispose(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** One line for a notification: the first problem with its line, and how many more there are. */
export function describeIssues(file: string, issues: readonly SweepFileIssue[], text?: string): string {
  const first = issues[0];
  if (!first) return `${path.basename(file)} is not a valid sweep file`;
  const where = first.path === '(file)' || first.path === '(root)' ? '' : `${first.path}: `;
  const line = first.line ?? (text !== undefined && !/\.ya?ml$/i.test(file) ? jsonLineOf(text, first.path) : null);
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  return `${path.basename(file)}${line ? ` line ${line}` : ''}: ${where}${first.message}${more}`;
}
