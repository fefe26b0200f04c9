import * as vscode from 'vscode';
import { RefusedError } from './refusal';

/** Refuses in Restricted Mode: nothing Trackside starts (training, git, Slurm, deployments) runs there. */
export function requireTrust(what = 'start training processes'): void {
  if (!vscode.workspace.isTrusted) {
    throw new RefusedError(
      'untrusted',
      `Trackside does not ${what} in Restricted Mode. Trust this workspace (Manage Workspace Trust) to do it.`,
    );
  }
}
