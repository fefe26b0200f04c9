import { PYTHON } from '../fixtures/python';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { editorWorkspace, slowScript } from './fixtures/editor-workspace';
import { decayingCurve, writeFinishedRun } from './fixtures/run-folder';
import { workbenchSuite } from './harness/suite';
import { contextMenu, openQuickInput, stepTimeout } from './harness/workbench';

// Issue 4, workspace trust: a folder the user has not trusted opens in Restricted Mode, where
// Trackside still lists runs but starts no process, and says why.

const workspace = editorWorkspace();
after(() => workspace.dispose());

const suite = workbenchSuite('editor-trust', () => ({
  workspace: workspace.path,
  workspaceTrust: true,
  settings: {
    'security.workspace.trust.enabled': true,
    // Opens straight into Restricted Mode instead of asking first, as a user who chose "Don't Trust".
    'security.workspace.trust.startupPrompt': 'never',
    'trackside.python.interpreter': PYTHON,
  },
}));

suite.test('in Restricted Mode the run command refuses and explains how to trust the folder', async (session) => {
  const { workbench, page } = session;
  await workbench.open();
  await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: stepTimeout });
  await openQuickInput(page, 'Control+P', slowScript);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: slowScript }).first().click();
  await page.locator('.tabs-container .tab.active', { hasText: slowScript }).waitFor({ timeout: stepTimeout });

  await workbench.runCommand('Trackside: Run Current File with Tracking');
  const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'Restricted Mode' });
  await toast.waitFor({ timeout: stepTimeout });
  assert.match(await toast.innerText(), /does not start training processes in Restricted Mode.*Trust this workspace/s);
  await workbench.screenshot('editor-trust--refused');

  // Nothing was launched: no task terminal, no run folder.
  await sleep(2000);
  assert.equal(existsSync(join(workspace.path, '.trackside', 'runs')), false, 'no run folder was created');
  assert.equal(await page.locator('.terminal-tabs-entry, .single-terminal-tab').count(), 0, 'no terminal was opened');
});

suite.test(
  'in Restricted Mode Rerun on a recorded run refuses with the same warning, and starts nothing',
  async (session) => {
    const { workbench, page } = session;
    // A run recorded earlier (trusted, or by a teammate): Restricted Mode still lists it.
    const runId = writeFinishedRun(workspace.path, {
      experiment: 'train_slow',
      name: 'recorded-before',
      script: slowScript,
      metrics: { loss: decayingCurve(5) },
    });
    const view = await workbench.openView('Trackside', 'Experiments');
    const row = view.locator('.monaco-list-row', { hasText: 'recorded-before' });
    await row.waitFor({ timeout: stepTimeout });
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'Restricted Mode' });
    await contextMenu(page, row, 'Rerun', toast);
    assert.match(
      await toast.innerText(),
      /does not start training processes in Restricted Mode.*Trust this workspace/s,
    );
    assert.equal(
      await page.locator('.notifications-toasts .notification-toast', { hasText: 'Show Log' }).count(),
      0,
      'a calm warning, not a failure with a way to the log',
    );
    await workbench.screenshot('editor-trust--rerun-refused');
    await sleep(2000);
    const runs = readdirSync(join(workspace.path, '.trackside', 'runs'));
    assert.deepEqual(runs, [runId], 'no new run folder');
  },
);

suite.test('in Restricted Mode a recorded Slurm job is listed but squeue and sacct are never run', async (session) => {
  const { workbench, page } = session;
  // A run someone submitted to a cluster, still waiting there as far as its folder knows.
  const runId = writeFinishedRun(workspace.path, {
    experiment: 'train_slow',
    name: 'queued-on-cluster',
    script: slowScript,
    metrics: {},
  });
  const runDir = join(workspace.path, '.trackside', 'runs', runId);
  const now = new Date().toISOString();
  writeFileSync(
    join(runDir, 'status.json'),
    JSON.stringify({
      version: 1,
      status: 'pending',
      pid: null,
      exitCode: null,
      signal: null,
      startedAt: now,
      endedAt: null,
      message: null,
    }),
  );
  writeFileSync(
    join(runDir, 'slurm.json'),
    JSON.stringify({
      version: 1,
      jobId: '4242',
      target: 'cluster',
      submittedAt: now,
      state: 'PENDING',
      reason: 'Priority',
      node: null,
      exitCode: null,
      signal: null,
      outputFile: null,
      gpus: null,
      updatedAt: now,
    }),
  );
  // After a reload the extension looks for unfinished Slurm jobs to follow.
  await workbench.runCommand('Developer: Reload Window');
  await page.locator('.monaco-workbench').waitFor({ timeout: stepTimeout });
  const view = await workbench.openView('Trackside', 'Experiments');
  await view.locator('.monaco-list-row', { hasText: 'queued-on-cluster' }).waitFor({ timeout: stepTimeout });
  // The scan for jobs runs as the compute views start.
  await sleep(5000);
  // The extension's log says when it follows jobs: squeue and sacct would then be polled.
  const followed = extensionLogLines(session.server.userDataDir).filter((line) => /Following \d+ Slurm job/.test(line));
  assert.deepEqual(followed, [], 'no Slurm job is followed in Restricted Mode');
});

/** Every line the Trackside log channel wrote in this session's windows. */
function extensionLogLines(userDataDir: string): string[] {
  const logs = join(userDataDir, 'logs');
  if (!existsSync(logs)) return [];
  return (readdirSync(logs, { recursive: true }) as string[])
    .filter((path) => path.endsWith(join('trackside.trackside', 'Trackside.log')))
    .flatMap((path) => readFileSync(join(logs, path), 'utf8').split('\n'));
}
