import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRunStatus } from '../../../src/core/runs/reader';
import type { RunStatus } from '../../../src/core/runs/protocol';
import { PYTHON_CLIENT_DIR, TSX_LOADER, onlyRunDir } from '../runs/run-fixtures';
import { PYTHON } from '../../fixtures/python';

/** Shared builders for the client tests: scripts run as a user runs them, outside any launched run. */

function environmentOutsideRuns(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.TRACKSIDE_RUN_DIR;
  delete env.TRACKSIDE_RUN_ID;
  delete env.TRACKSIDE_WORKSPACE;
  return env;
}

/** `python3 <script> <args>` with the client importable, as `python train.py` in a terminal. */
export function runPython(cwd: string, script: string, args: string[] = []) {
  const env = environmentOutsideRuns({ PYTHONPATH: PYTHON_CLIENT_DIR });
  return spawnSync(PYTHON, [script, ...args], { cwd, env, encoding: 'utf8' });
}

/** `node <script>` (TypeScript through tsx), as `node train.ts` in a terminal. */
export function runNode(cwd: string, script: string, args: string[] = []) {
  return spawnSync(process.execPath, ['--import', TSX_LOADER, script, ...args], {
    cwd,
    env: environmentOutsideRuns(),
    encoding: 'utf8',
  });
}

/** The status and output.log of the one run in a workspace (output is '' when there is no log). */
export async function onlyRunResult(workspace: string): Promise<{ status: RunStatus | null; output: string }> {
  const runDir = onlyRunDir(workspace);
  let output = '';
  try {
    output = readFileSync(join(runDir, 'output.log'), 'utf8');
  } catch {
    // no output.log
  }
  return { status: await readRunStatus(runDir), output };
}
