import type * as vscode from 'vscode';
import type { IndexStore } from '../../core/store/database';

/** What the lineage and models features need from the composition root. */
export interface IndexDeps {
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  workspaceRoot(): string | undefined;
  /** The workspace index, opened and caught up with the run folders. */
  index(): Promise<IndexStore>;
  /** Subscribes to index changes (ingest of run folders); returns the unsubscribe function. */
  onIndexChanged(listener: () => void): () => void;
}

/** What the Models view offers the lineage panel. */
export interface ModelsFacade {
  /** Reveals and selects a version in the Models view. */
  revealVersion(name: string, version: number): Promise<void>;
  /** Fires after a registration or alias move (in this window, another one, or the CLI). */
  onDidChangeModels: vscode.Event<void>;
}

/** Why a lineage or models command did nothing; the message is shown as is. */
export class LineageRefusedError extends Error {
  constructor(
    readonly reason: 'no-workspace' | 'no-runs' | 'no-models' | 'no-file' | 'untrusted',
    message: string,
  ) {
    super(message);
    this.name = 'LineageRefusedError';
  }
}

export function requireWorkspace(deps: IndexDeps): string {
  const root = deps.workspaceRoot();
  if (!root) throw new LineageRefusedError('no-workspace', 'Open a folder with training runs first.');
  return root;
}
