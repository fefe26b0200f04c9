import { PYTHON } from '../fixtures/python';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import { RunInfoSchema, RunEventSchema, type ArtifactEvent } from '../../src/core/runs/protocol';
import { rowLabels, waitForRow } from './fixtures/compute-steps';
import { eventually } from '../fixtures/polling';
import { commitWorkspace, copyDemoWorkspace } from './fixtures/workspace';
import { repoRoot, resultsDir } from './harness/paths';
import { workbenchSuite } from './harness/suite';
import {
  answerFileDialog,
  contextMenu,
  openQuickInput,
  paletteCommandAndPick,
  paletteCommandWithPick,
  pickQuickItem,
  quickPickRow,
  stepTimeout,
  type Workbench,
} from './harness/workbench';

// A user trains the demo model (it logs its data file and its model), registers the model, and
// follows the lineage: data → run → model version, with hashes; the run node opens the run view;
// a changed data file is flagged stale; "Find Models Trained on This File" lists the run and the
// model version; the audit log shows the registration.

const workspace = copyDemoWorkspace();
after(() => workspace.dispose());

const dataFile = join(workspace.path, 'data', 'digits.csv');
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
let runName = '';
let dataSha = '';
let modelSha = '';

const suite = workbenchSuite('lineage', () => {
  // Code committed, data not (as is usual), so the run can be reproduced from its commit.
  commitWorkspace(workspace.path, 'Demo training scripts', ['.gitignore', '*.py']);
  // The demo run, through the bundled CLI exactly as a terminal user would start it.
  execFileSync(
    process.execPath,
    [
      join(repoRoot, 'dist', 'cli.js'),
      'run',
      '--',
      PYTHON,
      'train_digits.py',
      '--C',
      '0.5',
      '--steps',
      '2',
      '--max-iter',
      '20',
    ],
    { cwd: workspace.path, stdio: 'ignore', timeout: 120_000 },
  );
  const runsDir = join(workspace.path, '.trackside', 'runs');
  const [runId] = readdirSync(runsDir);
  const runDir = join(runsDir, runId ?? '');
  runName = RunInfoSchema.parse(JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'))).name;
  const artifacts = readFileSync(join(runDir, 'events.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => RunEventSchema.parse(JSON.parse(line)))
    .filter((e): e is ArtifactEvent => e.type === 'artifact');
  dataSha = sha256(dataFile);
  assert.equal(
    artifacts.find((a) => a.role === 'input')?.sha256,
    dataSha,
    'the demo logged its data file with its hash',
  );
  modelSha = artifacts.find((a) => a.kind === 'model')?.sha256 ?? '';
  assert.match(modelSha, /^[0-9a-f]{64}$/);
  return { workspace: workspace.path };
});

/** Runs a palette command that asks for a run with a quick pick of its own, and picks `item` there. */
async function runCommandAndPick(workbench: Workbench, title: string, item: string): Promise<void> {
  await paletteCommandAndPick(workbench.page, title, quickPickRow(workbench.page, item));
}

function lineageNode(workbench: Workbench, kind: string) {
  return workbench.webviewFrame().locator(`g.node.kind-${kind}`);
}

suite.test('"Register Model" versions the run’s model artifact', async ({ workbench }) => {
  await workbench.open();
  // The extension's commands are known once its container is in the activity bar.
  await workbench.activityBarItem('Trackside').waitFor({ timeout: stepTimeout });
  await runCommandAndPick(workbench, 'Trackside: Register Model', runName);
  // The run logged one model: the name is asked next, prefilled with the name the script gave it.
  const input = workbench.page.locator('.quick-input-widget input.input');
  await workbench.page.waitForFunction(
    () => document.querySelector<HTMLInputElement>('.quick-input-widget input.input')?.value === 'digits-logreg',
    undefined,
    { timeout: stepTimeout },
  );
  await input.press('Enter');
  await workbench.page
    .locator('.notifications-toasts .notification-toast')
    .filter({ hasText: 'Registered digits-logreg v1.' })
    .waitFor({ timeout: stepTimeout });
  const body = await workbench.openView('Trackside', 'Models');
  await workbench.treeRow('digits-logreg version 1', body).waitFor({ timeout: stepTimeout });
});

suite.test('the lineage panel shows data → run → model version with their hashes', async ({ workbench }) => {
  await runCommandAndPick(workbench, 'Trackside: Show Lineage', runName);
  const data = lineageNode(workbench, 'data');
  const run = lineageNode(workbench, 'run');
  const model = lineageNode(workbench, 'model-version');
  await model.waitFor({ timeout: stepTimeout });
  assert.equal(await data.getAttribute('aria-label'), `DATA digits.csv, sha256 ${dataSha.slice(0, 12)}`);
  assert.match((await run.getAttribute('aria-label')) ?? '', new RegExp(`^RUN ${runName}, finished`));
  assert.equal(
    await model.getAttribute('aria-label'),
    `MODEL VERSION digits-logreg v1, sha256 ${modelSha.slice(0, 12)}`,
  );

  const view = workbench.webviewFrame();
  const runId = (await run.getAttribute('data-node-id')) ?? '';
  const dataId = (await data.getAttribute('data-node-id')) ?? '';
  const modelId = (await model.getAttribute('data-node-id')) ?? '';
  await view.locator(`g.edge-used[data-from="${dataId}"][data-to="${runId}"]`).waitFor({ timeout: stepTimeout });
  await view
    .locator(`g.edge-registered-as[data-from="${runId}"][data-to="${modelId}"]`)
    .waitFor({ timeout: stepTimeout });
  // Laid out left to right: upstream first.
  const [dx, rx, mx] = await Promise.all([data, run, model].map((n) => n.boundingBox().then((b) => b?.x ?? 0)));
  assert.ok(dx! < rx! && rx! < mx!, `data (${dx}) → run (${rx}) → model (${mx}) from left to right`);

  // Hovering shows the full hash.
  await data.hover();
  await view.locator('.hover').filter({ hasText: dataSha }).waitFor({ timeout: stepTimeout });
  await workbench.screenshot('lineage-panel');
});

suite.test('clicking the run node opens the run view', async ({ workbench }) => {
  await lineageNode(workbench, 'run').click();
  await workbench
    .activeTabTitle()
    .filter({ hasText: `Run ${runName}` })
    .waitFor({ timeout: stepTimeout });
});

suite.test('a changed data file shows the stale badge', async ({ workbench }) => {
  appendFileSync(
    dataFile,
    '0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0\n',
  );
  await runCommandAndPick(workbench, 'Trackside: Show Lineage', runName);
  const data = lineageNode(workbench, 'data');
  await data.locator('g.badge-stale').waitFor({ timeout: stepTimeout });
  assert.match((await data.getAttribute('aria-label')) ?? '', /STALE$/);
  await workbench.webviewFrame().getByText('1 stale').waitFor({ timeout: stepTimeout });
  await workbench.screenshot('lineage-stale');
});

suite.test('"Export SVG" saves the graph as a standalone SVG file', async ({ workbench }) => {
  const target = join(workspace.path, 'lineage.svg');
  await workbench.webviewFrame().locator('vscode-button', { hasText: 'Export SVG' }).click();
  // The save dialog proposes lineage.svg in the workspace.
  await answerFileDialog(workbench.page, '/demo/lineage.svg');
  const deadline = Date.now() + stepTimeout;
  while (!existsSync(target) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const svgText = readFileSync(target, 'utf8');
  writeFileSync(join(resultsDir, 'lineage-export.svg'), svgText);
  assert.match(svgText, /^<\?xml[^]*<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  for (const text of ['digits.csv', runName, 'digits-logreg v1', 'STALE']) assert.ok(svgText.includes(text), text);
  // Colours are resolved: the file does not depend on the editor's theme variables.
  assert.ok(!svgText.includes('var(--'), 'no CSS variables left');
});

suite.test('"Find Models Trained on This File" lists the run and the model version', async ({ workbench }) => {
  const input = await openQuickInput(workbench.page, 'Control+P', 'digits.csv');
  await pickQuickItem(workbench.page, 'digits.csv');
  await workbench.activeTabTitle().filter({ hasText: 'digits.csv' }).waitFor({ timeout: stepTimeout });
  await paletteCommandWithPick(
    workbench.page,
    'Trackside: Find Models Trained on This File',
    quickPickRow(workbench.page, 'digits-logreg v1'),
  );
  const list = workbench.page.locator('.quick-input-list');
  // The run's own row (the model version's row names it as its source too).
  await list
    .locator('.monaco-list-row')
    .filter({ hasText: runName })
    .filter({ hasText: 'train_digits · finished' })
    .waitFor({ timeout: stepTimeout });
  // The file changed since (the previous test): the list says these used an earlier version of it.
  assert.match((await input.getAttribute('placeholder')) ?? '', /earlier version of this file/);
  await workbench.screenshot('lineage-impact');
  await workbench.page.keyboard.press('Escape');
});

suite.test('"Show Audit Log" lists the registration with actor and time', async ({ workbench }) => {
  await workbench.runCommand('Trackside: Show Audit Log');
  await workbench.activeTabTitle().filter({ hasText: 'Trackside Audit Log' }).waitFor({ timeout: stepTimeout });
  await workbench.page
    .locator('.editor-instance .view-lines')
    .filter({ hasText: /model\.register\s+digits-logreg@1/ })
    .waitFor({ timeout: stepTimeout });
  const text = await workbench.page.locator('.editor-instance .view-lines').first().innerText();
  assert.match(text, /\d{4}-\d\d-\d\d\s\d\d:\d\d:\d\dZ/);
});

suite.test(
  'Reproduce Run warns that the data changed and trains again from the run’s commit; Delete removes it',
  async ({ workbench }) => {
    const { page } = workbench;
    await runCommandAndPick(workbench, 'Trackside: Reproduce Run', runName);
    // The data file changed since the run (the stale-badge test): the user is told before anything trains.
    const warning = page.locator('.monaco-dialog-box').filter({ hasText: '1 input changed since the original run' });
    await warning
      .filter({ hasText: /digits\.csv changed \(then [0-9a-f]{12}, now [0-9a-f]{12}\)/ })
      .waitFor({ timeout: stepTimeout });
    await workbench.screenshot('lineage-reproduce-warning');
    await warning.locator('.monaco-button', { hasText: 'Reproduce Anyway' }).click();

    const copy = `${runName}-repro`;
    const view = await workbench.openView('Trackside', 'Experiments');
    await waitForRow(view, 2, new RegExp(`^${copy}, finished`), 120_000);
    const runsDir = join(workspace.path, '.trackside', 'runs');
    const runInfo = (id: string) =>
      RunInfoSchema.parse(JSON.parse(readFileSync(join(runsDir, id, 'run.json'), 'utf8')));
    const ids = readdirSync(runsDir);
    const original = runInfo(ids.find((id) => runInfo(id).name === runName)!);
    const copyId = ids.find((id) => runInfo(id).name === copy)!;
    const reproduction = runInfo(copyId);
    assert.deepEqual(reproduction.argv, original.argv);
    assert.deepEqual(reproduction.params, original.params);
    assert.equal(reproduction.git?.commit, original.git?.commit);
    const worktree = join(workspace.path, '.trackside', 'worktrees', copyId);
    assert.equal(reproduction.cwd, worktree);
    assert.ok(
      readFileSync(join(runsDir, copyId, 'events.jsonl'), 'utf8').includes(original.id),
      'linked to the original',
    );

    const confirm = page.locator('.monaco-dialog-box').filter({ hasText: `Delete run "${copy}"?` });
    await contextMenu(
      page,
      view.locator(`.monaco-list-row[aria-level="2"][aria-label^="${copy}, "]`),
      'Delete Run…',
      confirm,
    );
    assert.match(await confirm.innerText(), /code checkout a reproduction trained in/);
    await confirm.locator('.monaco-button', { hasText: /^Delete$/ }).click();
    await eventually(`${copy} to leave the Experiments view`, async () => {
      const labels = await rowLabels(view, 2);
      return !labels.some((l) => l.startsWith(`${copy}, `)) && labels.some((l) => l.startsWith(`${runName}, `));
    });
    assert.equal(existsSync(join(runsDir, copyId)), false, 'the run folder is gone');
    assert.equal(existsSync(worktree), false, 'the code checkout is gone');
    const worktrees = execFileSync('git', ['worktree', 'list', '--porcelain'], {
      cwd: workspace.path,
      encoding: 'utf8',
    });
    assert.equal(worktrees.match(/^worktree /gm)?.length, 1, worktrees);
    assert.ok(existsSync(join(runsDir, original.id)), 'the original run is kept');
  },
);

suite.test('the lineage panel raised no CSP violation', async ({ console: consoleLog }) => {
  assert.deepEqual(consoleLog.cspViolations(), []);
});
