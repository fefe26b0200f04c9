import * as vscode from 'vscode';
import { registerCommand } from './command-registry';
import { LatestRunPanel } from './metrics/panel';
import { LaunchRefusedError, runCurrentFile } from './runs/commands';
import { SqliteAddonError, checkSqliteAddon, reportSqliteAddonError } from './storage/sqlite-addon';

/** Services with an async shutdown (watchers, the index); awaited in deactivate(). */
interface AsyncClosable {
  close(): Promise<void>;
}

/**
 * The composition root: builds every service once, hands each what it needs, and owns their
 * disposal. activate() stays cheap; anything heavy starts on first use or after activation.
 */
class Trackside implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly closables: AsyncClosable[] = [];
  readonly log: vscode.LogOutputChannel;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel('Trackside', { log: true });
    this.disposables.push(this.log);
  }

  start(): void {
    const { extensionUri } = this.context;
    const isLaunchRefusal = (e: unknown): e is LaunchRefusedError => e instanceof LaunchRefusedError;
    this.disposables.push(
      registerCommand(
        'trackside.runCurrentFile',
        this.log,
        (uri?: vscode.Uri) => runCurrentFile(extensionUri, uri),
        isLaunchRefusal,
      ),
      registerCommand('trackside.showLatestRun', this.log, () => {
        LatestRunPanel.show(extensionUri, this.workspaceRoot(), this.log);
      }),
      registerCommand('trackside.showLog', this.log, () => this.log.show()),
      { dispose: () => LatestRunPanel.disposeCurrent() },
    );
    setImmediate(() => this.checkIndexRuntime());
  }

  private workspaceRoot(): string | undefined {
    return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  }

  private checkIndexRuntime(): void {
    try {
      checkSqliteAddon();
      this.log.info('SQLite index runtime loaded');
    } catch (error) {
      if (error instanceof SqliteAddonError) void reportSqliteAddonError(error, this.log);
      else this.log.error('SQLite check failed', error);
    }
  }

  dispose(): void {
    for (const d of this.disposables.splice(0).reverse()) d.dispose();
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.closables.splice(0).map((c) => c.close()));
    this.dispose();
  }
}

let trackside: Trackside | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const started = performance.now();
  trackside = new Trackside(context);
  try {
    trackside.start();
  } catch (error) {
    trackside.log.error('Activation failed', error);
    void vscode.window.showErrorMessage(
      `Trackside failed to start: ${(error as Error).message}. Run "Trackside: Show Log" for details.`,
    );
    throw error;
  }
  trackside.log.info(`Activated in ${(performance.now() - started).toFixed(1)} ms`);
}

export async function deactivate(): Promise<void> {
  await trackside?.close();
  trackside = undefined;
}
