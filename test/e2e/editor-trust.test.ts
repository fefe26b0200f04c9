import { PYTHON } from '../fixtures/python';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { after } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeploymentStore } from '../../src/core/deploy/record-store';
import type { DeploymentRecord } from '../../src/core/deploy/records';
import { DEPLOYMENT_MODEL_VERSION_LABEL } from '../../src/core/lineage/load-graph';
import { editorWorkspace, slowScript } from './fixtures/editor-workspace';
import { decayingCurve, writeFinishedRun } from './fixtures/run-folder';
import { workbenchSuite } from './harness/suite';
import { contextMenu, openQuickInput, stepTimeout } from './harness/workbench';

// Issue 4, workspace trust: a folder the user has not trusted opens in Restricted Mode, where
// Trackside still lists runs but starts no process, and says why.

const workspace = editorWorkspace();
after(() => workspace.dispose());

// Where the SSH deployment target below points: a listener that counts the connections made to it.
// ssh connects before anything else, so any status check, undeploy or roll back would show here.
const sshHost = createServer((socket) => {
  sshConnections++;
  socket.destroy();
});
let sshConnections = 0;
after(() => sshHost.close());

const suite = workbenchSuite('editor-trust', async () => {
  await new Promise<void>((resolve) => sshHost.listen(0, '127.0.0.1', resolve));
  const sshPort = (sshHost.address() as AddressInfo).port;
  return {
    workspace: workspace.path,
    workspaceTrust: true,
    settings: {
      'security.workspace.trust.enabled': true,
      // Opens straight into Restricted Mode instead of asking first, as a user who chose "Don't Trust".
      'security.workspace.trust.startupPrompt': 'never',
      'trackside.python.interpreter': PYTHON,
      'trackside.targets': [
        { kind: 'ssh', name: 'edge', host: '127.0.0.1', sshPort, user: 'deploy', keyFile: '/nonexistent/id_ed25519' },
      ],
    },
  };
});

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

suite.test(
  'in Restricted Mode a recorded SSH deployment is listed, its host is never contacted, and Undeploy and Roll Back refuse',
  async (session) => {
    const { workbench, page } = session;
    // A deployment recorded by a teammate (the repository holds its records): v2 serves, v1 was replaced by it.
    const store = new DeploymentStore(workspace.path);
    const at = new Date().toISOString();
    const recorded = (version: number, status: 'replaced' | 'ready', id: string): DeploymentRecord => {
      const digest = `sha256:${String(version).repeat(64)}`;
      return {
        id,
        name: 'digits',
        target: 'edge',
        targetKind: 'ssh',
        modelName: 'digits',
        modelRef: `registry.example.com/team/digits@${digest}`,
        digest,
        plainHttp: false,
        status,
        labels: { [DEPLOYMENT_MODEL_VERSION_LABEL]: `digits@${version}` },
        ...(status === 'ready' ? { endpoint: 'http://127.0.0.1:8080' } : {}),
        createdAt: at,
        updatedAt: at,
        events: [{ at, status }],
      };
    };
    await store.save(recorded(1, 'replaced', store.newId(Date.now() - 60_000)));
    await store.save(recorded(2, 'ready', store.newId()));
    const statuses = () =>
      new DeploymentStore(workspace.path)
        .list()
        .records.map((r) => r.status)
        .sort();

    const view = await workbench.openView('Trackside', 'Deployments');
    const row = workbench.treeRow('digits, digits v2, ready', view);
    await row.waitFor({ timeout: stepTimeout });
    const refused = (what: string) =>
      page.locator('.notifications-toasts .notification-toast', { hasText: `does not ${what} in Restricted Mode` });
    await contextMenu(page, row, 'Undeploy', refused('stop deployments'));
    assert.match(await refused('stop deployments').innerText(), /Trust this workspace/);
    await contextMenu(page, row, 'Roll Back to Previous Version', refused('change what a deployment serves'));
    await workbench.screenshot('editor-trust--deployment-refused');
    // The view checks a ready deployment's host every 5 s while it shows, in a trusted workspace.
    await sleep(7000);
    assert.equal(sshConnections, 0, 'ssh never connected to the target host');
    assert.deepEqual(statuses(), ['ready', 'replaced'], 'the records are as they were');
  },
);

/** Every line the Trackside log channel wrote in this session's windows. */
function extensionLogLines(userDataDir: string): string[] {
  const logs = join(userDataDir, 'logs');
  if (!existsSync(logs)) return [];
  return (readdirSync(logs, { recursive: true }) as string[])
    .filter((path) => path.endsWith(join('trackside.trackside', 'Trackside.log')))
    .flatMap((path) => readFileSync(join(logs, path), 'utf8').split('\n'));
}
