import { delimiter } from 'node:path';
import * as vscode from 'vscode';
import { installPythonClient } from '../../core/clients/install-python-client';
import { pythonClientDir } from '../../core/clients/python-client-dir';
import { registerCommand } from '../command-registry';
import type { Services } from '../services';
import { requireTrust } from '../trust';
import { pythonInterpreterFor } from './interpreter';

/**
 * `import trackside` wherever users run Python in the editor: integrated terminals (and so Run and
 * Debug, which starts Python in one) get the bundled client's folder at the front of PYTHONPATH; a
 * command copies the client into the selected interpreter for Jupyter kernels and anything else.
 */
export function registerPythonClient(context: vscode.ExtensionContext, services: Services): vscode.Disposable {
  const terminals = context.environmentVariableCollection;
  try {
    const dir = pythonClientDir();
    terminals.description = 'Makes `import trackside` work in this terminal (the Trackside Python client)';
    // A terminal of an untrusted folder gets nothing from Trackside.
    if (vscode.workspace.isTrusted) terminals.prepend('PYTHONPATH', `${dir}${delimiter}`);
    else terminals.clear();
  } catch (error) {
    services.log.warn(`Terminals get no Python client: ${(error as Error).message}`);
  }
  return vscode.Disposable.from(
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      terminals.prepend('PYTHONPATH', `${pythonClientDir()}${delimiter}`);
    }),
    registerCommand('trackside.installPythonClient', services.log, async () => {
      requireTrust('install the Python client');
      const resource =
        vscode.window.activeTextEditor?.document.uri ??
        vscode.workspace.workspaceFolders?.[0]?.uri ??
        vscode.Uri.file('.');
      const interpreter = await pythonInterpreterFor(resource, services.settings);
      const { target } = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Installing the Trackside client into ${interpreter}`,
        },
        () => installPythonClient(interpreter, pythonClientDir()),
      );
      services.log.info(`Python client installed into ${target} (${interpreter})`);
      void vscode.window.showInformationMessage(
        `\`import trackside\` now works in ${interpreter}, notebooks on that interpreter included (copied to ${target}). ` +
          'Run this again after updating Trackside.',
      );
    }),
  );
}
