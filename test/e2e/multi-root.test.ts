import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after } from 'node:test';
import { decayingCurve, writeFinishedRun } from './fixtures/run-folder';
import { repoRoot } from './harness/paths';
import { workbenchSuite } from './harness/suite';
import { openQuickInput, stepTimeout } from './harness/workbench';

// A multi-root workspace: two project folders, each with its own .trackside/ and index. Both
// folders' runs are listed (grouped by folder), and a run started from a script lands in the
// folder of that script.

const parent = mkdtempSync(join(tmpdir(), 'trackside-multiroot-'));
after(() => rmSync(parent, { recursive: true, force: true }));
for (const name of ['vision', 'tabular']) {
  cpSync(join(repoRoot, 'demo'), join(parent, name), {
    recursive: true,
    filter: (source) => !['.trackside', '__pycache__'].includes(basename(source)),
  });
}
const workspaceFile = join(parent, 'both.code-workspace');
writeFileSync(workspaceFile, JSON.stringify({ folders: [{ path: 'vision' }, { path: 'tabular' }] }, null, 2));
const recorded = writeFinishedRun(join(parent, 'vision'), {
  experiment: 'vision-exp',
  name: 'vision-baseline',
  metrics: { loss: decayingCurve(20) },
});
const runsOf = (folder: string) => {
  const dir = join(parent, folder, '.trackside', 'runs');
  return existsSync(dir) ? readdirSync(dir) : [];
};

const suite = workbenchSuite('multi-root', () => ({ workspace: workspaceFile }));

suite.test(
  'both folders are listed, and a script runs into the runs of its own folder',
  async ({ workbench, page }) => {
    await workbench.open(workspaceFile);
    const view = await workbench.openView('Trackside', 'Experiments');
    const folderRow = (name: string) =>
      view.locator('.monaco-list-row[aria-level="1"]').filter({ has: page.locator('.label-name', { hasText: name }) });
    // A folder is listed once it has runs: tabular has none yet.
    const folders = async () =>
      view.locator('.monaco-list-row[aria-level="1"] .label-name').evaluateAll((els) => els.map((e) => e.textContent));
    // The only folder with runs so far: listed under its own name.
    await folderRow('vision').waitFor({ timeout: stepTimeout });
    await view.locator('.monaco-list-row[aria-level="3"][aria-label^="vision-baseline, finished"]').waitFor();
    assert.deepEqual(await folders(), ['vision']);
    assert.equal(
      existsSync(join(parent, 'tabular', '.trackside')),
      false,
      'nothing is created in a folder without runs',
    );

    // Quick Open lists train_digits.py twice: the one of the tabular folder.
    await openQuickInput(page, 'Control+P', 'train_digits.py');
    await page
      .locator('.quick-input-list .monaco-list-row', { hasText: 'tabular' })
      .filter({ hasText: 'train_digits.py' })
      .first()
      .click();
    await page.locator('.tabs-container .tab.active', { hasText: 'train_digits.py' }).waitFor({ timeout: stepTimeout });
    await page.locator('.editor-instance .view-lines').first().click();
    await page.keyboard.press('Control+End');
    // The lens in view at the guard; the script's top has one too, scrolled out of sight.
    const lens = page
      .locator('.editor-instance .codelens-decoration a', { hasText: 'Run with Trackside' })
      .filter({ visible: true })
      .first();
    await lens.waitFor({ timeout: stepTimeout });
    await lens.click();

    // Its run appears under a second folder node, and its folder is the tabular project's.
    await folderRow('tabular').waitFor({ timeout: 30_000 });
    const run = view.locator('.monaco-list-row[aria-level="3"]').filter({ hasText: 'val_acc' });
    await run.first().waitFor({ timeout: 60_000 });
    assert.deepEqual(await folders(), ['vision', 'tabular']);
    assert.equal(runsOf('tabular').length, 1, 'the run folder is in the tabular project');
    assert.deepEqual(runsOf('vision'), [recorded], 'nothing new in the vision project');
    await workbench.screenshot('multi-root--two-folders');

    // A run of the other folder opens in the run view from its row, read from that folder's index.
    await view.locator('.monaco-list-row[aria-level="3"][aria-label^="vision-baseline, finished"]').click();
    await workbench.webviewFrame().getByRole('heading', { name: 'vision-baseline' }).waitFor({ timeout: stepTimeout });
  },
);
