import { PYTHON } from '../fixtures/python';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import { ModelRegistry } from '../../src/core/models/model-registry';
import { MODELPACK_ARTIFACT_TYPE } from '../../src/core/registry/modelpack';
import { RunEventSchema, type ArtifactEvent } from '../../src/core/runs/protocol';
import { TestRegistry } from '../fixtures/registry/docker-registry';
import { copyDemoWorkspace } from './fixtures/workspace';
import { repoRoot } from './harness/paths';
import { workbenchSuite } from './harness/suite';
import { pickQuickItem, stepTimeout, type Workbench } from './harness/workbench';

// A user pushes the demo model's version to the team registry (a real docker-registry on loopback,
// plain HTTP, htpasswd basic auth) from the Models view: Push… → registry → repository → tags → a
// progress notification; the registry asks for credentials, the editor asks the user, and the push
// lands under the version in the Models view. The registry then really holds the manifest; the
// password is in the editor's secret storage (a second push does not ask) and not in the settings.

const USER = 'trainer';
const PASSWORD = `s3cret-${process.pid}-registry`;
const MODEL = 'digits-logreg';

const workspace = copyDemoWorkspace();
let registry: TestRegistry | undefined;
after(async () => {
  await registry?.stop();
  workspace.dispose();
});

const suite = workbenchSuite('push', async () => {
  registry = await TestRegistry.start({ basicAuth: { username: USER, password: PASSWORD } });
  execFileSync(
    process.execPath,
    [join(repoRoot, 'dist', 'cli.js'), 'run', '--', PYTHON, 'train_digits.py', '--steps', '2', '--max-iter', '20'],
    { cwd: workspace.path, stdio: 'ignore', timeout: 120_000 },
  );
  const runsDir = join(workspace.path, '.trackside', 'runs');
  const [runId] = readdirSync(runsDir);
  const model = readFileSync(join(runsDir, runId ?? '', 'events.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => RunEventSchema.parse(JSON.parse(line)))
    .find((e): e is ArtifactEvent => e.type === 'artifact' && e.kind === 'model');
  assert.ok(runId && model, 'the demo run logged its model');
  // Registering and aliasing are covered by the lineage journey; here they only set the stage.
  const models = new ModelRegistry(workspace.path);
  const registered = await models.register({ runId, artifactPath: model.path });
  assert.equal(registered.name, MODEL);
  await models.setAlias(MODEL, 'champion', registered.version);
  return {
    workspace: workspace.path,
    settings: { 'trackside.registries': [{ name: 'team', url: registry.url, repositoryPrefix: 'ml' }] },
  };
});

const quickInput = (workbench: Workbench) => workbench.page.locator('.quick-input-widget input.input');

async function waitForInputValue(workbench: Workbench, value: string): Promise<void> {
  await workbench.page.waitForFunction(
    (expected) => document.querySelector<HTMLInputElement>('.quick-input-widget input.input')?.value === expected,
    value,
    { timeout: stepTimeout },
  );
}

function toast(workbench: Workbench, text: string | RegExp) {
  return workbench.page.locator('.notifications-toasts .notification-toast').filter({ hasText: text });
}

/** Registry, repository and tags, as the command asks them. */
async function answerPushQuestions(workbench: Workbench, tags: string[]): Promise<void> {
  await pickQuickItem(workbench.page, 'team');
  await waitForInputValue(workbench, `ml/${MODEL}`);
  await quickInput(workbench).press('Enter');
  // The version is ticked already; aliases are ticked by the user.
  await workbench.page
    .locator('.quick-input-list .monaco-list-row')
    .filter({ hasText: 'v1' })
    .waitFor({ timeout: stepTimeout });
  for (const tag of tags) await pickQuickItem(workbench.page, tag);
  await workbench.page.locator('.quick-input-widget .monaco-button', { hasText: 'OK' }).click();
}

function versionRow(workbench: Workbench) {
  return workbench.treeRow(`${MODEL} version 1, aliases champion`);
}

async function manifest(tag: string): Promise<{ digest: string | null; body: { artifactType?: string } }> {
  const response = await fetch(`${registry!.url}/v2/ml/${MODEL}/manifests/${tag}`, {
    headers: {
      accept: 'application/vnd.oci.image.manifest.v1+json',
      authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`,
    },
  });
  assert.equal(response.status, 200, `manifest ${tag} is on the registry`);
  return {
    digest: response.headers.get('docker-content-digest'),
    body: (await response.json()) as { artifactType?: string },
  };
}

let digest = '';

suite.test('Push… from the Models view asks for credentials on the 401 and shows progress', async ({ workbench }) => {
  await workbench.open();
  const body = await workbench.openView('Trackside', 'Models');
  const row = versionRow(workbench);
  await row.waitFor({ timeout: stepTimeout });
  await row.hover();
  await row.locator('.action-label[aria-label="Push…"]').click();
  await answerPushQuestions(workbench, ['champion']);

  // The progress notification is up while the registry's 401 has the editor ask for credentials.
  await toast(workbench, `Pushing ${MODEL} v1 to team`).waitFor({ timeout: stepTimeout });
  await workbench.page
    .locator('.quick-input-widget')
    .filter({ hasText: `Sign in to ${registry!.host}` })
    .waitFor({ timeout: stepTimeout });
  await toast(workbench, 'contacting the registry').waitFor({ timeout: stepTimeout });
  await workbench.screenshot('push-progress-and-sign-in');
  await quickInput(workbench).fill(USER);
  await quickInput(workbench).press('Enter');
  await workbench.page.locator('.quick-input-widget input.input[type="password"]').waitFor({ timeout: stepTimeout });
  await quickInput(workbench).fill(PASSWORD);
  await quickInput(workbench).press('Enter');

  const done = toast(workbench, `Pushed ${MODEL} v1 to ${registry!.host}/ml/${MODEL}:v1`);
  await done.waitFor({ timeout: stepTimeout });
  // The progress notification goes away once the push is done.
  await toast(workbench, `Pushing ${MODEL} v1`).waitFor({ state: 'hidden', timeout: stepTimeout });
  digest = /digest (sha256:[0-9a-f]{64})/.exec(await done.innerText())?.[1] ?? '';
  assert.match(digest, /^sha256:[0-9a-f]{64}$/);
  await done.getByRole('button', { name: 'Copy Reference' }).waitFor({ timeout: stepTimeout });

  // The push shows under the version.
  if ((await row.getAttribute('aria-expanded')) !== 'true') await row.locator('.monaco-tl-twistie').click();
  const pushRow = workbench.treeRow(`pushed to ${registry!.host}/ml/${MODEL}:v1 @${digest.slice(0, 19)}…`, body);
  await pushRow.waitFor({ timeout: stepTimeout });
  await workbench.screenshot('push-done');

  // The registry really holds the ModelPack manifest under both tags.
  for (const tag of ['v1', 'champion']) {
    const { digest: served, body: json } = await manifest(tag);
    assert.equal(served, digest, `${tag} points at the pushed manifest`);
    assert.equal(json.artifactType, MODELPACK_ARTIFACT_TYPE);
  }
});

suite.test('"Copy Reference" on the push copies registry/repository@digest', async ({ workbench }) => {
  await toast(workbench, `Pushed ${MODEL} v1`).getByRole('button', { name: 'Copy Reference' }).click();
  await workbench
    .statusBar()
    .getByText(`Copied ${registry!.host}/ml/${MODEL}@${digest}`)
    .waitFor({ timeout: stepTimeout });
});

suite.test(
  'the password is kept in secret storage, not in settings: a second push does not ask',
  async ({ workbench }) => {
    await workbench.runCommand('Preferences: Open User Settings (JSON)');
    const editor = workbench.page.locator('.editor-instance .view-lines').first();
    await editor.filter({ hasText: 'trackside.registries' }).waitFor({ timeout: stepTimeout });
    assert.ok(!(await editor.innerText()).includes(PASSWORD), 'no password in the user settings');
    assert.ok(!(await editor.innerText()).includes(USER), 'no username in the user settings');
    // VS Code 1.139 shows settings.json in a modal editor over the workbench (which takes the keyboard):
    // Escape closes it. In VS Code 1.100 the file is an ordinary tab and Escape does nothing.
    await workbench.page.keyboard.press('Escape');
    await workbench.page.locator('.monaco-modal-editor-block').waitFor({ state: 'detached', timeout: stepTimeout });

    // Right-click → Push… on the same version: no credentials prompt, and nothing left to upload.
    await workbench.openView('Trackside', 'Models');
    await versionRow(workbench).click({ button: 'right' });
    const item = workbench.page.getByRole('menuitem', { name: 'Push…', exact: true });
    await item.waitFor({ timeout: stepTimeout });
    // A click right after the menu opens is sometimes dropped by the menu; the keyboard never is.
    await item.hover();
    await workbench.page.keyboard.press('Enter');
    await item.waitFor({ state: 'hidden', timeout: stepTimeout });
    await answerPushQuestions(workbench, []);
    await toast(
      workbench,
      `Pushed ${MODEL} v1 to ${registry!.host}/ml/${MODEL}:v1 — digest ${digest} (the registry had every file already)`,
    ).waitFor({
      timeout: stepTimeout,
    });
    assert.equal(
      await workbench.page.locator('.quick-input-widget').filter({ hasText: 'Sign in to' }).isVisible(),
      false,
    );
    await toast(workbench, `Pushing ${MODEL} v1`).waitFor({ state: 'hidden', timeout: stepTimeout });
    await workbench.screenshot('push-again');
  },
);
