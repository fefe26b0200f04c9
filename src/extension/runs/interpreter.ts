import * as vscode from 'vscode';
import type { Settings } from '../settings';

interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } | undefined;
  };
}

/**
 * The Python interpreter for a script: Trackside's own setting, else the Python extension's
 * selected interpreter, else `python.defaultInterpreterPath`, else `python3`.
 */
export async function pythonInterpreterFor(resource: vscode.Uri, settings: Settings): Promise<string> {
  const own = settings.pythonInterpreter(resource);
  if (own) return own;
  const python = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (python) {
    try {
      const api = python.isActive ? python.exports : await python.activate();
      const selected = api.environments?.getActiveEnvironmentPath(resource)?.path;
      if (selected) return selected;
    } catch {
      // The Python extension failed to activate: fall back to the settings below.
    }
  }
  const configured = vscode.workspace
    .getConfiguration('python', resource)
    .get<string>('defaultInterpreterPath')
    ?.trim();
  return configured && configured !== 'python' ? configured : 'python3';
}
