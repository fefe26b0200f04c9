import * as vscode from 'vscode';
import { auditEntries, type AuditRow } from '../../core/store/models';
import type { FolderService } from '../workspace/folder-service';
import type { Folders } from '../workspace/folders';

export const AUDIT_SCHEME = 'trackside-audit';

/** One document per workspace folder; the folder's path rides in the query. */
function auditUri(folder: FolderService): vscode.Uri {
  return vscode.Uri.from({ scheme: AUDIT_SCHEME, path: '/Trackside Audit Log', query: folder.root });
}

/**
 * "Show Audit Log": a read-only document, newest first, one line per action with its time (UTC),
 * actor, action, subject and details. It follows the journal as it grows.
 */
export class AuditLogDocument implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changeEmitter.event;

  private readonly subscription: vscode.Disposable;

  constructor(private readonly folders: Folders) {
    // The audit log grows with every model change (this window, another one, or the CLI).
    this.subscription = folders.onDidChangeModels((folder) => this.changeEmitter.fire(auditUri(folder)));
  }

  async show(folder: FolderService): Promise<void> {
    const uri = auditUri(folder);
    this.changeEmitter.fire(uri);
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(document, 'log');
    await vscode.window.showTextDocument(document, { preview: false });
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const folder = this.folders.all().find((f) => f.root === uri.query);
    if (!folder) return 'This workspace folder is no longer open.\n';
    return formatAuditLog(auditEntries(await folder.store()), this.folders.isMultiRoot ? folder.name : undefined);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changeEmitter.dispose();
  }
}

export function formatAuditLog(rows: readonly AuditRow[], folderName?: string): string {
  const of = folderName ? ` of ${folderName}` : '';
  const header = `Trackside audit log${of} — ${rows.length} entr${rows.length === 1 ? 'y' : 'ies'}, newest first (times in UTC)\n`;
  if (rows.length === 0) {
    return `${header}\nNothing recorded yet: registering a model, moving an alias, pushing or deploying adds a line here.\n`;
  }
  const actorWidth = Math.max(...rows.map((r) => r.actor.length));
  const actionWidth = Math.max(...rows.map((r) => r.action.length));
  const subjectWidth = Math.max(...rows.map((r) => r.subject.length));
  const lines = rows.map((row) =>
    [
      row.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      row.actor.padEnd(actorWidth),
      row.action.padEnd(actionWidth),
      row.subject.padEnd(subjectWidth),
      Object.keys(row.detail).length > 0 ? JSON.stringify(row.detail) : '',
    ]
      .join('  ')
      .trimEnd(),
  );
  return `${header}\n${lines.join('\n')}\n`;
}
