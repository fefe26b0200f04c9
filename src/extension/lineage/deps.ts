import type * as vscode from 'vscode';
import type { IndexStore } from '../../core/store/database';
import { RefusedError } from '../refusal';

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

export function requireWorkspace(deps: IndexDeps): string {
  const root = deps.workspaceRoot();
  if (!root) throw new RefusedError('no-workspace', 'Open a folder with training runs first.');
  return root;
}
