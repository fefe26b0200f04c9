import * as vscode from 'vscode';
import type { DeploymentRecord } from '../../core/deploy/records';
import { FALLBACK_INPUT, ModelMetadataSchema, requestDocumentText, type TensorMetadata } from './request-template';

import { DeployCommands } from './deploy-command';

/** Where a request document sends to: the deployment's name on its target (its newest record serves). */
export interface RequestDestination {
  /** The workspace folder whose records hold the deployment. */
  root: string;
  target: string;
  name: string;
}

/**
 * Test requests as editable JSON documents: one per deployment, prefilled with a request the model
 * accepts (its input names, types and shape read from the server), with a "Send" CodeLens on top.
 */
export class TestRequestDocuments implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly destinations = new Map<string, RequestDestination>();
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changeEmitter.event;
  private readonly closing: vscode.Disposable;

  constructor() {
    this.closing = vscode.workspace.onDidCloseTextDocument((document) => {
      if (this.destinations.delete(document.uri.toString())) this.changeEmitter.fire();
    });
  }

  destinationOf(uri: vscode.Uri): RequestDestination | undefined {
    return this.destinations.get(uri.toString());
  }

  /** Shows the open request document of this deployment, or opens a new prefilled one. */
  async open(root: string, record: DeploymentRecord): Promise<void> {
    const existing = vscode.workspace.textDocuments.find((d) => {
      const to = this.destinations.get(d.uri.toString());
      return to?.root === root && to.target === record.target && to.name === record.name;
    });
    if (existing) {
      await vscode.window.showTextDocument(existing, { preview: false });
      return;
    }
    const content = requestDocumentText(record, await readInputMetadata(record));
    // A named untitled document: its tab reads like a file, and saving proposes that name.
    const uri = vscode.Uri.from({ scheme: 'untitled', path: `${record.name} test request.jsonc` });
    const document = await vscode.workspace.openTextDocument(uri);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(uri, new vscode.Range(0, 0, document.lineCount, 0), content);
    await vscode.workspace.applyEdit(edit);
    this.destinations.set(document.uri.toString(), { root, target: record.target, name: record.name });
    this.changeEmitter.fire();
    await vscode.window.showTextDocument(document, { preview: false });
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const to = this.destinations.get(document.uri.toString());
    if (!to) return [];
    return [
      new vscode.CodeLens(new vscode.Range(0, 0, 0, 0), {
        title: `$(send) Send Test Request to ${to.name} on ${to.target}`,
        command: DeployCommands.sendTestRequest,
        arguments: [{ requestDocument: document.uri.toString() }],
      }),
    ];
  }

  dispose(): void {
    this.closing.dispose();
    this.changeEmitter.dispose();
    this.destinations.clear();
  }
}

/** The model's inputs as its server describes them; a generic input when it cannot say. */
async function readInputMetadata(record: DeploymentRecord): Promise<TensorMetadata[]> {
  if (!record.endpoint) return [FALLBACK_INPUT];
  try {
    const url = new URL(`/v2/models/${encodeURIComponent(record.modelName)}`, record.endpoint);
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) return [FALLBACK_INPUT];
    const parsed = ModelMetadataSchema.safeParse(await response.json());
    return parsed.success ? parsed.data.inputs : [FALLBACK_INPUT];
  } catch {
    return [FALLBACK_INPUT];
  }
}
