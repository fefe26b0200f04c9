import * as vscode from 'vscode';
import { shortDigest } from '../../core/deploy/model-ref';
import type { InferResponse } from '../../core/deploy/oip-client';
import type { DeploymentRecord } from '../../core/deploy/records';
import type { DeploymentService } from './deployment-service';
import { formatTensorJson } from './json-layout';
import { servedVersion } from './deployment-labels';

export const DEPLOYMENT_SCHEME = 'trackside-deployment';
const LOG_LINES = 200;
const MAX_RESPONSES = 20;

/**
 * Read-only documents of a deployment: its logs (the server's last lines, or for a failed
 * deployment the reason, next step and the lines kept from before it was removed), and the
 * responses to test requests, each in a JSON document of its own.
 */
export class DeploymentDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changeEmitter.event;
  private readonly responses = new Map<string, string>();

  constructor(
    /** The service of a workspace folder, by its path. */
    private readonly serviceOf: (root: string) => DeploymentService | undefined,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** Opens (or re-reads) the logs of a deployment. */
  async showLogs(service: DeploymentService, record: DeploymentRecord): Promise<void> {
    const uri = vscode.Uri.from({
      scheme: DEPLOYMENT_SCHEME,
      path: `/${record.target}/${record.name}.log`,
      query: new URLSearchParams({ id: record.id, root: service.workspaceRoot }).toString(),
    });
    this.changeEmitter.fire(uri);
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(document, 'log');
    await vscode.window.showTextDocument(document, { preview: true, viewColumn: vscode.ViewColumn.Active });
  }

  /** Shows a test request's response as a JSON document beside the request. */
  async showResponse(record: DeploymentRecord, response: InferResponse, elapsedMs: number): Promise<void> {
    const time = new Date().toLocaleTimeString([], { hour12: false });
    const uri = vscode.Uri.from({
      scheme: DEPLOYMENT_SCHEME,
      path: `/${record.target}/${record.name} response ${time}.json`,
    });
    this.responses.set(uri.toString(), `${formatTensorJson(response)}\n`);
    // Keep the latest responses only; an old one reopened from history then says it expired.
    for (const key of [...this.responses.keys()].slice(0, -MAX_RESPONSES)) this.responses.delete(key);
    this.changeEmitter.fire(uri);
    this.log.info(`Test request to ${record.target}/${record.name} answered in ${elapsedMs.toFixed(0)} ms`);
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document, { preview: false, viewColumn: vscode.ViewColumn.Beside });
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const response = this.responses.get(uri.toString());
    if (response !== undefined) return response;
    if (uri.path.endsWith('.json')) return '{"expired": "this response is no longer kept: send the request again"}\n';
    const query = new URLSearchParams(uri.query);
    const service = this.serviceOf(query.get('root') ?? '');
    const record = service?.store.get(query.get('id') ?? '');
    if (!service || !record)
      return 'This deployment record no longer exists (its file under .trackside/deployments/ was removed).\n';
    return this.logsText(service, record);
  }

  private async logsText(service: DeploymentService, record: DeploymentRecord): Promise<string> {
    const lines = [
      `${record.name} on ${record.target} — ${servedVersion(record).label} (${shortDigest(record.digest)})`,
      `status: ${record.status}${record.endpoint ? ` · endpoint ${record.endpoint}` : ''} · updated ${record.updatedAt}`,
    ];
    if (record.error) {
      lines.push(
        '',
        `failed (${record.error.reason}): ${record.error.message}`,
        `next step: ${record.error.nextStep}`,
        '',
        record.error.logTail.length > 0
          ? `last log lines before it was removed:`
          : 'the server printed nothing before it was removed',
        ...record.error.logTail,
      );
      return `${lines.join('\n')}\n`;
    }
    try {
      const logs = await service.logs(record, LOG_LINES);
      lines.push(
        '',
        logs.length > 0 ? `last ${logs.length} lines, read ${new Date().toISOString()}:` : 'no log lines yet',
        ...logs,
      );
    } catch (error) {
      lines.push('', `could not read the logs: ${error instanceof Error ? error.message : String(error)}`);
    }
    return `${lines.join('\n')}\n`;
  }

  dispose(): void {
    this.changeEmitter.dispose();
    this.responses.clear();
  }
}
