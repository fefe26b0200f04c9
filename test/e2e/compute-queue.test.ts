import { PYTHON } from '../fixtures/python';
import { runIdNamed } from '../fixtures/run-lookup';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { computeScript, computeWorkspace, holdRuns, releaseRuns } from './fixtures/compute-workspace';
import {
  clickCodeLens,
  inlineAction,
  escapeRegExp,
  nameOf,
  openFile,
  pickQuickItem,
  rowLabels,
  waitForRow,
} from './fixtures/compute-steps';
import { workbenchSuite } from './harness/suite';
import type { Workbench } from './harness/workbench';
import { contextMenu, stepTimeout } from './harness/workbench';

// Issue 9, the local queue and sweeps as a user clicks: queue runs beside Run, watch them wait
// their turn, reorder and cancel them, reload the window while one waits, and run a sweep file
// whose trials are grouped under the sweep with its progress and best trial. Every run is a real
// /usr/bin/python3 process started by the queue runner through the launcher.

const workspace = computeWorkspace();
after(() => workspace.dispose());
// A journey that fails while holding runs must not leave the next journey's runs waiting.
afterEach(() => releaseRuns(workspace));
// Sweep files a user has written: one over lr, and one with a mistake on line 6.
writeFileSync(
  join(workspace.path, 'lr.sweep.json'),
  `${JSON.stringify(
    {
      name: 'lr',
      command: ['python', computeScript],
      method: 'grid',
      params: { lr: { values: [0.05, 0.1, 0.2, 0.4] }, seconds: { values: [3] } },
      metric: { name: 'val_acc', goal: 'max' },
      concurrency: 2,
    },
    null,
    2,
  )}\n`,
);
writeFileSync(
  join(workspace.path, 'bad.sweep.yaml'),
  [
    'name: bad',
    'command: [python, train_queue.py]',
    'method: random',
    'budget: 3',
    'params:',
    '  lr: {min: 0.001, max: high}',
    'metric: {name: val_acc, goal: max}',
    '',
  ].join('\n'),
);

const suite = workbenchSuite('compute-queue', () => ({
  workspace: workspace.path,
  settings: { 'trackside.python.interpreter': PYTHON, 'trackside.queue.concurrency': 1 },
}));

interface StatusFile {
  status: string;
  exitCode: number | null;
  startedAt: string;
  endedAt: string | null;
}

function runsDir(): string {
  return join(workspace.path, '.trackside', 'runs');
}

function runIdByName(name: string): string {
  const id = runIdNamed(runsDir(), name);
  if (id === undefined) throw new Error(`no run named ${name}`);
  return id;
}

function statusOf(id: string): StatusFile {
  return JSON.parse(readFileSync(join(runsDir(), id, 'status.json'), 'utf8')) as StatusFile;
}

async function experimentsView(workbench: Workbench): Promise<Locator> {
  return workbench.openView('Trackside', 'Experiments');
}

/** Queues the script from its CodeLens and returns the new run's name (it shows as queued or running). */
async function queueFromCodeLens(view: Locator, page: Page, known: string[]) {
  await clickCodeLens(page, /^\s*Queue\s*$/);
  const label = await waitForRow(view, 2, newRunPattern(known, '(queued|running)'));
  return nameOf(label);
}

/** "Run with Parameters…" → seconds → Queue: a run that holds the queue's slot for a while. */
async function queueWithSeconds(view: Locator, page: Page, known: string[], seconds: number): Promise<string> {
  await clickCodeLens(page, 'Run with Parameters…');
  await pickQuickItem(page, /^seconds$/);
  const input = page.locator('.quick-input-widget input.input');
  await page.locator('.quick-input-widget .quick-input-message', { hasText: 'Value of seconds' }).waitFor();
  await input.fill(String(seconds));
  await input.press('Enter');
  await page
    .locator('.quick-input-list .monaco-list-row', { hasText: `seconds=${seconds}` })
    .first()
    .waitFor();
  await pickQuickItem(page, /^\s*Queue\s*$/);
  return nameOf(await waitForRow(view, 2, newRunPattern(known, 'running'), 20_000));
}

function newRunPattern(known: readonly string[], status: string): RegExp {
  const exclude = known.length ? `(?!(?:${known.map(escapeRegExp).join('|')}),)` : '';
  return new RegExp(`^${exclude}[^,]+, ${status}`);
}

function runRow(view: Locator, name: string): Locator {
  return view.locator(`.monaco-list-row[aria-label^="${name}, "]`);
}

suite.test('a queued run survives a window reload and starts after the one before it', async (session) => {
  const { workbench, page } = session;
  await workbench.open();
  let view = await experimentsView(workbench);
  await openFile(page, computeScript);

  // "Run with Parameters…" offers to queue instead of run: a run that keeps the one slot busy,
  // held until the test has seen the second one wait through the reload.
  holdRuns(workspace);
  const first = await queueWithSeconds(view, page, [], 3);

  const second = await queueFromCodeLens(view, page, [first]);
  await waitForRow(view, 2, new RegExp(`^${escapeRegExp(second)}, queued`));
  await runRow(view, second).locator('.label-description', { hasText: '#1 in queue' }).waitFor();
  await workbench.screenshot('compute-queue--queued-before-reload');

  await workbench.runCommand('Developer: Reload Window');
  await page.locator('.monaco-workbench').waitFor({ timeout: stepTimeout });
  // The side bar comes back with the Trackside container: wait for it rather than click its icon
  // while the restored state is still being applied (a click on the active icon hides the side bar).
  await workbench.viewHeader('Experiments').waitFor({ state: 'attached', timeout: stepTimeout });
  view = await experimentsView(workbench);
  // Still waiting after the reload: the queue lives in .trackside/, not in the window.
  await waitForRow(view, 2, new RegExp(`^${escapeRegExp(second)}, queued`), 20_000);
  await waitForRow(view, 2, new RegExp(`^${escapeRegExp(first)}, running`));
  releaseRuns(workspace);
  await waitForRow(view, 2, new RegExp(`^${escapeRegExp(first)}, finished, val_acc`), 30_000);
  await waitForRow(view, 2, new RegExp(`^${escapeRegExp(second)}, finished, val_acc`), 30_000);

  const a = statusOf(runIdByName(first));
  const b = statusOf(runIdByName(second));
  assert.equal(a.exitCode, 0);
  assert.equal(b.exitCode, 0);
  assert.ok(
    Date.parse(b.startedAt) >= Date.parse(a.endedAt!),
    'with one slot, the second started after the first ended',
  );
  await workbench.screenshot('compute-queue--after-reload');
});

suite.test('queued runs can be moved up and cancelled from the Experiments view', async (session) => {
  const { workbench, page } = session;
  const view = await experimentsView(workbench);
  await openFile(page, computeScript);
  const known = (await rowLabels(view, 2)).map(nameOf);
  holdRuns(workspace);
  const busy = await queueWithSeconds(view, page, known, 3);
  const middle = await queueFromCodeLens(view, page, [...known, busy]);
  const last = await queueFromCodeLens(view, page, [...known, busy, middle]);
  await runRow(view, last).locator('.label-description', { hasText: '#2 in queue' }).waitFor();

  await contextMenu(page, runRow(view, last), 'Move Up in Queue');
  await runRow(view, last).locator('.label-description', { hasText: '#1 in queue' }).waitFor();
  await runRow(view, middle).locator('.label-description', { hasText: '#2 in queue' }).waitFor();
  await workbench.screenshot('compute-queue--reordered');

  await contextMenu(page, runRow(view, middle), 'Cancel Run');
  await waitForRow(view, 2, new RegExp(`^${escapeRegExp(middle)}, killed`));
  await waitForRow(view, 2, new RegExp(`^${escapeRegExp(last)}, queued`));
  releaseRuns(workspace);
  await waitForRow(view, 2, new RegExp(`^${escapeRegExp(last)}, finished`), 30_000);
  assert.equal(statusOf(runIdByName(middle)).status, 'killed');
  assert.ok(
    Date.parse(statusOf(runIdByName(last)).startedAt) >= Date.parse(statusOf(runIdByName(busy)).endedAt!),
    'the moved run started when the slot freed up',
  );
});

suite.test('a sweep file runs its trials through the queue, grouped under the sweep', async (session) => {
  const { workbench, page } = session;
  const view = await experimentsView(workbench);
  await openFile(page, 'lr.sweep.json');
  holdRuns(workspace);
  await workbench.runCommand('Trackside: Run Sweep…');

  // The sweep's own concurrency: two trials train while two wait.
  await waitForRow(view, 2, /^sweep lr, 0\/4 done, 2 running, 2 queued/, 20_000);
  await view.locator('.monaco-list-row[aria-level="3"]').first().waitFor();
  await workbench.screenshot('compute-queue--sweep-running');
  releaseRuns(workspace);

  const done = await waitForRow(view, 2, /^sweep lr, 4\/4 done/, 60_000);
  assert.match(done, /best val_acc 0\.91\d* \(trial 4\)$/, `lr 0.4 (trial 4) reaches the highest val_acc: ${done}`);
  const trials = (await rowLabels(view, 3)).filter((l) => / #\d, /.test(l));
  assert.equal(trials.length, 4, `the four trials are listed under the sweep: ${trials.join(' | ')}`);
  assert.ok(
    !(await rowLabels(view, 2)).some((l) => /^lr #\d/.test(l)),
    'trial runs are not repeated in the flat run list',
  );

  // Never more than two trials at once.
  const ids = readdirSync(runsDir());
  const spans = ids
    .map((id) => ({ info: JSON.parse(readFileSync(join(runsDir(), id, 'run.json'), 'utf8')) as { name: string }, id }))
    .filter((r) => r.info.name.startsWith('lr #'))
    .map((r) => statusOf(r.id))
    .map((s) => [Date.parse(s.startedAt), Date.parse(s.endedAt!)] as const);
  for (const [start] of spans) {
    const overlapping = spans.filter(([s, e]) => s <= start && e > start).length;
    assert.ok(overlapping <= 2, `at most 2 trials ran at once, saw ${overlapping}`);
  }
  await workbench.screenshot('compute-queue--sweep-done');

  // The sweep row's inline action opens the compare panel on its four trials.
  await inlineAction(view.locator('.monaco-list-row[aria-label^="sweep lr, "]'), 'Compare Sweep Runs');
  await page.locator('.tabs-container .tab.active', { hasText: 'Compare 4 Runs' }).waitFor({ timeout: stepTimeout });
  const names = workbench.webviewFrame().locator('trackside-runs-table [role="grid"] .row .cell[data-column="name"]');
  await names.nth(3).waitFor({ timeout: stepTimeout });
  assert.deepEqual((await names.allInnerTexts()).sort(), ['lr #1', 'lr #2', 'lr #3', 'lr #4']);
});

suite.test('an invalid sweep file shows the problem with its line, and runs nothing', async (session) => {
  const { workbench, page } = session;
  await openFile(page, 'bad.sweep.yaml');
  await workbench.runCommand('Trackside: Run Sweep…');
  const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'Cannot run the sweep' });
  await toast.waitFor({ timeout: stepTimeout });
  assert.match(await toast.innerText(), /bad\.sweep\.yaml line 6: params\.lr\.max/);
  // The same problem is on the file itself, as a squiggle on line 6.
  await page.locator('.editor-instance .squiggly-error').first().waitFor({ timeout: stepTimeout });
  await workbench.screenshot('compute-queue--invalid-sweep');
});
