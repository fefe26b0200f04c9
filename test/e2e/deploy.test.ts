import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after } from 'node:test';
import type { Locator } from 'playwright-core';
import { setTimeout as sleep } from 'node:timers/promises';
import { ModelRegistry } from '../../src/core/models/model-registry';
import { pushModel } from '../../src/core/registry/push';
import { RunEventSchema, type ArtifactEvent } from '../../src/core/runs/protocol';
import { HOST_PYTHON_PATHS, PodmanService } from '../fixtures/deploy/podman-service';
import { RegistryServer } from '../fixtures/deploy/registry-server';
import { freePort } from '../fixtures/deploy/service-process';
import { SYSTEM_PYTHON } from '../fixtures/deploy/trained-models';
import { copyDemoWorkspace } from './fixtures/workspace';
import { repoRoot } from './harness/paths';
import { workbenchSuite } from './harness/suite';
import { stepTimeout, type Workbench } from './harness/workbench';

// A user with a trained, registered and pushed digits model deploys the push from the Models view
// to a real Podman API, watches the Deployments view turn ready, sends a test request and reads the
// prediction, then undeploys: the row goes away and Podman has no pod left.

const workspace = copyDemoWorkspace();
const TARGET = 'local-podman';
const BUSY_TARGET = 'busy-podman';
const MODEL = 'digits-logreg';
const REPOSITORY = 'team/digits-logreg';
let registry: RegistryServer | undefined;
let podman: PodmanService | undefined;
let modelPath = '';
let pushedDigest = '';
/** Holds the port of the target `busy-podman`, so a server started there cannot bind it. */
let portHolder: Server | undefined;

after(async () => {
  portHolder?.close();
  await Promise.allSettled([podman?.stop(), registry?.stop()]);
  workspace.dispose();
});

const suite = workbenchSuite('deploy', async () => {
  [registry, podman] = await Promise.all([RegistryServer.start(), PodmanService.start()]);
  const image = await podman.buildRuntimeImage();
  // Train the demo through the bundled CLI, as a terminal user would.
  execFileSync(
    process.execPath,
    [
      join(repoRoot, 'dist', 'cli.js'),
      'run',
      '--',
      SYSTEM_PYTHON,
      'train_digits.py',
      '--steps',
      '2',
      '--max-iter',
      '20',
    ],
    { cwd: workspace.path, stdio: 'ignore', timeout: 120_000 },
  );
  const runsDir = join(workspace.path, '.trackside', 'runs');
  const [runId = ''] = readdirSync(runsDir);
  const model = readFileSync(join(runsDir, runId, 'events.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => RunEventSchema.parse(JSON.parse(line)))
    .find((e): e is ArtifactEvent => e.type === 'artifact' && e.kind === 'model');
  assert.ok(model, 'the demo logged its model');
  modelPath = join(workspace.path, model.path);
  // Register and push with the core APIs the editor's own commands use.
  const models = new ModelRegistry(workspace.path, null);
  const version = await models.register({ runId, artifactPath: model.path });
  const pushed = await pushModel(
    { path: modelPath, name: version.name, version: String(version.version), runId },
    { endpoint: { url: registry.url }, repository: REPOSITORY, tags: ['v1'] },
  );
  pushedDigest = pushed.digest;
  await models.recordPush({
    name: version.name,
    version: version.version,
    registry: pushed.registry,
    repository: REPOSITORY,
    tag: 'v1',
    digest: pushed.digest,
  });
  const busyPort = await freePort();
  portHolder = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => portHolder!.listen(busyPort, '127.0.0.1', resolve));
  const podmanTarget = {
    kind: 'podman',
    address: podman.address,
    image,
    bindHost: '127.0.0.1',
    hostPaths: HOST_PYTHON_PATHS,
    python: SYSTEM_PYTHON,
  };
  return {
    workspace: workspace.path,
    settings: {
      'trackside.registries': [{ name: 'lab', url: registry.url }],
      'trackside.targets': [
        { ...podmanTarget, name: TARGET, port: await freePort() },
        { ...podmanTarget, name: BUSY_TARGET, port: busyPort },
      ],
    },
  };
});

async function pickQuickItem(workbench: Workbench, text: string): Promise<void> {
  const row = workbench.page.locator('.quick-input-list .monaco-list-row').filter({ hasText: text }).first();
  await row.waitFor({ timeout: stepTimeout });
  await row.click();
}

/** Runs an item of a tree row's context menu. */
async function contextMenu(workbench: Workbench, row: Locator, action: string): Promise<void> {
  const item = workbench.page.getByRole('menuitem', { name: action, exact: true });
  for (let attempt = 0; ; attempt++) {
    await workbench.page.keyboard.press('Escape');
    await row.click({ button: 'right' });
    await item.waitFor({ timeout: stepTimeout });
    // The menu ignores a click that comes while it opens (it guards against the right-click's release).
    await sleep(300);
    await item.click();
    try {
      await item.waitFor({ state: 'hidden', timeout: 2000 });
      return;
    } catch (error) {
      if (attempt >= 2) throw error;
    }
  }
}

/** What the model predicts in-process for one row of 64 zeros (the prefilled test request). */
function inProcessPredictionForZeros(): number {
  const script = 'import pickle, sys; m = pickle.load(open(sys.argv[1], "rb")); print(int(m.predict([[0.0] * 64])[0]))';
  return Number(execFileSync(SYSTEM_PYTHON, ['-c', script, modelPath], { encoding: 'utf8' }).trim());
}

const deploymentRow = (workbench: Workbench, status: string) => workbench.treeRow(`${MODEL}, ${MODEL} v1, ${status}`);

suite.test(
  'Deploy… on the push in the Models view serves it and the Deployments view shows it ready',
  async ({ workbench }) => {
    await workbench.open();
    const models = await workbench.openView('Trackside', 'Models');
    const version = workbench.treeRow(`${MODEL} version 1`, models);
    await version.waitFor({ timeout: stepTimeout });
    if ((await version.getAttribute('aria-expanded')) !== 'true') await version.click();
    const push = models.locator('.monaco-list-row[aria-label^="pushed to "]').first();
    await push.waitFor({ timeout: stepTimeout });
    assert.match(
      (await push.getAttribute('aria-label')) ?? '',
      new RegExp(`${REPOSITORY}:v1 @${pushedDigest.slice(0, 19)}`),
    );
    await contextMenu(workbench, push, 'Deploy…');

    await pickQuickItem(workbench, TARGET);
    // The name is proposed from the model's name.
    const input = workbench.page.locator('.quick-input-widget input.input');
    await workbench.page.waitForFunction(
      (name) => document.querySelector<HTMLInputElement>('.quick-input-widget input.input')?.value === name,
      MODEL,
      { timeout: stepTimeout },
    );
    await input.press('Enter');

    // Pull, start and health check happen under a progress notification; the view follows.
    await deploymentRow(workbench, 'ready').waitFor({ timeout: 90_000 });
    await workbench.page
      .locator('.notifications-toasts .notification-toast')
      .filter({ hasText: `${MODEL} is ready on ${TARGET}` })
      .waitFor({ timeout: stepTimeout });
    const description = await deploymentRow(workbench, 'ready').locator('.label-description').innerText();
    assert.match(description, /digits-logreg v1 · ready · http:\/\/127\.0\.0\.1:\d+/);
    await workbench.viewHeader('Deployments').waitFor({ timeout: stepTimeout });
    await workbench.screenshot('deploy-ready');

    // The record carries the lineage link, and the audit log the deployment.
    const [recordFile = ''] = readdirSync(join(workspace.path, '.trackside', 'deployments'));
    const record = JSON.parse(readFileSync(join(workspace.path, '.trackside', 'deployments', recordFile), 'utf8')) as {
      digest: string;
      labels: Record<string, string>;
    };
    assert.equal(record.digest, pushedDigest);
    assert.equal(record.labels['trackside.model-version'], `${MODEL}@1`);
    assert.match(
      readFileSync(join(workspace.path, '.trackside', 'audit.jsonl'), 'utf8'),
      /"action":"deployment\.deploy"/,
    );
  },
);

suite.test('Send Test Request shows the prediction in a JSON document', async ({ workbench }) => {
  await contextMenu(workbench, deploymentRow(workbench, 'ready'), 'Send Test Request');
  // A request document prefilled for the model's input shape (64 features), with a Send CodeLens on top.
  const lens = workbench.page.locator('.codelens-decoration a', { hasText: 'Send Test Request to' });
  await lens.waitFor({ timeout: stepTimeout });
  const request = await workbench.page.locator('.editor-instance .view-lines').first().innerText();
  assert.match(request.replace(/\u00a0/g, ' '), /"shape": \[1, 64\]/);
  await lens.click();

  await workbench
    .activeTabTitle()
    .filter({ hasText: `${MODEL} response` })
    .waitFor({ timeout: stepTimeout });
  const responseEditor = workbench.page
    .locator('.editor-group-container')
    .filter({ has: workbench.page.locator('.tab.active', { hasText: `${MODEL} response` }) })
    .locator('.view-lines');
  await responseEditor.filter({ hasText: '"outputs"' }).waitFor({ timeout: stepTimeout });
  const text = (await responseEditor.innerText()).replace(/\u00a0/g, ' ');
  assert.match(text, /"model_name": "digits-logreg"/);
  assert.match(text, new RegExp(`"name": "predict",[^]*"data": \\[${inProcessPredictionForZeros()}\\]`));
  await workbench.screenshot('deploy-test-request');
});

suite.test('Undeploy removes the deployment from the view and from Podman', async ({ workbench }) => {
  const body = await workbench.openView('Trackside', 'Deployments');
  await contextMenu(workbench, workbench.treeRow(`${MODEL}, ${MODEL} v1, ready`, body), 'Undeploy');
  const dialog = workbench.page.locator('.monaco-dialog-box');
  await dialog.filter({ hasText: `Undeploy ${MODEL} from ${TARGET}?` }).waitFor({ timeout: stepTimeout });
  await dialog.locator('.monaco-button', { hasText: 'Undeploy' }).click();
  await workbench.page
    .locator('.notifications-toasts .notification-toast')
    .filter({ hasText: `Undeployed ${MODEL} from ${TARGET}.` })
    .waitFor({ timeout: stepTimeout });
  await body.locator(`.monaco-list-row[aria-label^="${MODEL}, "]`).waitFor({ state: 'detached', timeout: stepTimeout });
  await workbench.screenshot('deploy-undeployed');
  let pods = await podman!.podNames();
  for (let i = 0; i < 20 && pods.length > 0; i++) {
    await sleep(250);
    pods = await podman!.podNames();
  }
  assert.deepEqual(pods, []);
  assert.deepEqual(await podman!.containerNames(), []);
  assert.match(
    readFileSync(join(workspace.path, '.trackside', 'audit.jsonl'), 'utf8'),
    /"action":"deployment\.undeploy"/,
  );
});

suite.test(
  'a deployment from the palette whose port is taken ends failed, with its reason, next step and last log lines',
  async ({ workbench }) => {
    // This time from the palette, which offers the recorded pushes.
    await workbench.page.keyboard.press('F1');
    await workbench.page.locator('.quick-input-widget input.input').fill('>Trackside: Deploy…');
    await pickQuickItem(workbench, 'Trackside: Deploy…');
    await pickQuickItem(workbench, `${MODEL} v1`);
    await pickQuickItem(workbench, BUSY_TARGET);
    const input = workbench.page.locator('.quick-input-widget input.input');
    await input.fill('digits-busy');
    await input.press('Enter');

    const toast = workbench.page
      .locator('.notifications-toasts .notification-toast')
      .filter({ hasText: `Deploying digits-busy to ${BUSY_TARGET} failed` });
    await toast.waitFor({ timeout: 90_000 });
    assert.match(await toast.innerText(), /Choose another port for this target/);
    const row = workbench.treeRow(`digits-busy, ${MODEL} v1, failed: port-in-use`);
    await row.waitFor({ timeout: stepTimeout });
    await workbench.screenshot('deploy-failed');

    await toast.locator('.monaco-button', { hasText: 'Show Logs' }).click();
    await workbench.activeTabTitle().filter({ hasText: 'digits-busy.log' }).waitFor({ timeout: stepTimeout });
    const logs = workbench.page.locator('.editor-instance .view-lines').filter({ hasText: 'next step:' });
    await logs.waitFor({ timeout: stepTimeout });
    const text = (await logs.innerText()).replace(/\u00a0/g, ' ');
    assert.match(text, /failed \(port-in-use\)/);
    assert.match(text, /last log lines before it was removed:/);
    await workbench.screenshot('deploy-failed-logs');
    // Nothing half-deployed is left running.
    assert.deepEqual(await podman!.podNames(), []);
  },
);
