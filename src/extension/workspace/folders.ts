import * as vscode from 'vscode';
import type { RunsChange } from '../../core/workspace/workspace';
import { RefusedError } from '../refusal';
import { FolderService } from './folder-service';

/** A change of one folder's runs. */
export interface FolderRunsChange extends RunsChange {
  folder: FolderService;
}

/**
 * One {@link FolderService} per workspace folder, following folders added and removed. Commands ask
 * it for the folder of the script, run or file they were given; views list every folder's runs.
 */
export class Folders implements vscode.Disposable {
  private readonly services = new Map<string, FolderService>();
  private readonly subscriptions = new Map<string, vscode.Disposable[]>();
  private readonly runsEmitter = new vscode.EventEmitter<FolderRunsChange>();
  private readonly modelsEmitter = new vscode.EventEmitter<FolderService>();
  private readonly deploymentsEmitter = new vscode.EventEmitter<FolderService>();
  private readonly foldersEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeRuns = this.runsEmitter.event;
  readonly onDidChangeModels = this.modelsEmitter.event;
  readonly onDidChangeDeployments = this.deploymentsEmitter.event;
  /** A folder was added to or removed from the workspace. */
  readonly onDidChangeFolders = this.foldersEmitter.event;
  private readonly folderWatch: vscode.Disposable;
  private readonly closing: Promise<void>[] = [];

  constructor(private readonly log: vscode.LogOutputChannel) {
    for (const folder of vscode.workspace.workspaceFolders ?? []) this.add(folder);
    this.folderWatch = vscode.workspace.onDidChangeWorkspaceFolders((e) => {
      for (const folder of e.removed) this.remove(folder);
      for (const folder of e.added) this.add(folder);
      this.foldersEmitter.fire();
    });
  }

  /** Every folder's service, in the workspace's order. */
  all(): FolderService[] {
    return (vscode.workspace.workspaceFolders ?? []).flatMap((f) => this.services.get(f.uri.toString()) ?? []);
  }

  /** Folders that hold runs (a `.trackside/`). */
  withRuns(): FolderService[] {
    return this.all().filter((f) => f.hasRuns());
  }

  get isMultiRoot(): boolean {
    return this.services.size > 1;
  }

  /** The folder a file or folder belongs to. */
  forUri(uri: vscode.Uri): FolderService | undefined {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    return folder ? this.services.get(folder.uri.toString()) : undefined;
  }

  /** The folder holding a run's folder. */
  forRun(runId: string): FolderService | undefined {
    return this.all().find((f) => f.ownsRun(runId));
  }

  /** As {@link forRun}, refusing with a clear message when no open folder has the run. */
  requireRun(runId: string): FolderService {
    const folder = this.forRun(runId);
    if (!folder) {
      throw new RefusedError('unknown-run', `Run ${runId} is not in any open folder: it may have been deleted.`);
    }
    return folder;
  }

  /**
   * The folder a command without a target acts on: the only one, the active editor's, or the one the
   * user picks. `among` narrows the choice (folders with runs, say).
   */
  async pick(title: string, among: (f: FolderService) => boolean = () => true): Promise<FolderService | undefined> {
    const candidates = this.all().filter(among);
    if (candidates.length === 0) {
      if (this.services.size === 0) throw new RefusedError('no-workspace', 'Open a folder with training runs first.');
      throw new RefusedError('no-runs', 'No runs in this workspace yet: run a training script with tracking first.');
    }
    if (candidates.length === 1) return candidates[0];
    const active = vscode.window.activeTextEditor?.document.uri;
    const preferred = active ? this.forUri(active) : undefined;
    const pick = await vscode.window.showQuickPick(
      candidates.map((f) => ({ label: f.name, description: f.root, folder: f, picked: f === preferred })),
      { title, placeHolder: 'Which workspace folder?' },
    );
    return pick?.folder;
  }

  private add(folder: vscode.WorkspaceFolder): void {
    if (folder.uri.scheme !== 'file') return;
    const key = folder.uri.toString();
    if (this.services.has(key)) return;
    const service = new FolderService(folder, this.log);
    this.services.set(key, service);
    this.subscriptions.set(key, [
      service.onDidChangeRuns((change) => this.runsEmitter.fire({ ...change, folder: service })),
      service.onDidChangeModels(() => this.modelsEmitter.fire(service)),
      service.onDidChangeDeployments(() => this.deploymentsEmitter.fire(service)),
    ]);
  }

  private remove(folder: vscode.WorkspaceFolder): void {
    const key = folder.uri.toString();
    const service = this.services.get(key);
    if (!service) return;
    this.services.delete(key);
    for (const d of this.subscriptions.get(key) ?? []) d.dispose();
    this.subscriptions.delete(key);
    this.closing.push(service.close());
  }

  /** Closes every folder's watcher and index (awaited in deactivate). */
  async close(): Promise<void> {
    this.folderWatch.dispose();
    const services = [...this.services.values()];
    this.services.clear();
    await Promise.allSettled([...services.map((s) => s.close()), ...this.closing]);
    this.dispose();
  }

  dispose(): void {
    for (const list of this.subscriptions.values()) for (const d of list) d.dispose();
    this.subscriptions.clear();
    this.runsEmitter.dispose();
    this.modelsEmitter.dispose();
    this.deploymentsEmitter.dispose();
    this.foldersEmitter.dispose();
  }
}
