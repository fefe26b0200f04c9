import * as vscode from 'vscode';
import { syncJournals } from '../../core/models/journal-sync';
import { auditEntries, type AuditRow } from '../../core/models/queries';
import { requireWorkspace, type IndexDeps } from './deps';

export const AUDIT_SCHEME = 'trackside-audit';
const AUDIT_URI = vscode.Uri.from({ scheme: AUDIT_SCHEME, path: '/Trackside Audit Log' });

/**
 * "Show Audit Log": a read-only document, newest first, one line per action with its time (UTC),
 * actor, action, subject and details. It follows the journal as it grows.
 */
export class AuditLogDocument implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changeEmitter.event;

  constructor(private readonly deps: IndexDeps) {}

  async show(): Promise<void> {
    requireWorkspace(this.deps);
    this.changeEmitter.fire(AUDIT_URI);
    const document = await vscode.workspace.openTextDocument(AUDIT_URI);
    await vscode.languages.setTextDocumentLanguage(document, 'log');
    await vscode.window.showTextDocument(document, { preview: false });
  }

  refresh(): void {
    this.changeEmitter.fire(AUDIT_URI);
  }

  async provideTextDocumentContent(): Promise<string> {
    const root = requireWorkspace(this.deps);
    const store = await this.deps.index();
    syncJournals(store, root);
    return formatAuditLog(auditEntries(store));
  }

  dispose(): void {
    this.changeEmitter.dispose();
  }
}

export function formatAuditLog(rows: readonly AuditRow[]): string {
  const header = `Trackside audit log — ${rows.length} entr${rows.length === 1 ? 'y' : 'ies'}, newest first (times in UTC)\n`;
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
