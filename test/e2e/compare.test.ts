import { PYTHON } from '../fixtures/python';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { monotonicFactory } from 'ulid';
import { resolveColumn, sortRows, type Column } from '../../src/core/compare/columns';
import { formatNumber } from '../../src/core/format/numbers';
import { toCsv } from '../../src/core/compare/export-table';
import { buildCompareTable } from '../../src/core/compare/table';
import type { CompareTable } from '../../src/protocol/compare';
import { PROTOCOL_VERSION, RUNS_DIR, RunFile, TRACKSIDE_DIR } from '../../src/core/runs/protocol';
import { IndexStore } from '../../src/core/store/database';
import { getComparison } from '../../src/core/store/comparison';
import { decayingCurve, writeFinishedRun } from './fixtures/run-folder';
import { copyDemoWorkspace } from './fixtures/workspace';
import { ConsoleLog } from './harness/chromium';
import { resultsDir } from './harness/paths';
import { workbenchSuite } from './harness/suite';
import { openQuickInput, paletteCommand, stepTimeout } from './harness/workbench';

// A user compares three runs: the table shows what the index holds, sorts, filters and exports; the
// overlay draws a line per run; a live run's new points reach the chart; a window reload brings the
// panel back as it was; and the panel looks right in a light and a dark theme.

const workspace = copyDemoWorkspace();
after(() => workspace.dispose());

const runs = [
  { name: 'adam-lr-0.1', params: { lr: 0.1, optimizer: 'adam', epochs: 40 }, start: 2.3, floor: 0.3 },
  { name: 'adam-lr-0.01', params: { lr: 0.01, optimizer: 'adam', epochs: 40 }, start: 2.3, floor: 0.12 },
  { name: 'sgd-lr-0.05', params: { lr: 0.05, optimizer: 'sgd', epochs: 40 }, start: 2.3, floor: 0.2 },
];
const runIds: string[] = [];
const exportPath = join(workspace.path, 'exported-runs.csv');

const suite = workbenchSuite('compare', () => {
  for (const run of runs) {
    runIds.push(
      writeFinishedRun(workspace.path, {
        experiment: 'digits',
        name: run.name,
        params: run.params,
        metrics: { loss: decayingCurve(40, run.start, run.floor), accuracy: decayingCurve(40, 0.1, 1 - run.floor) },
      }),
    );
  }
  // The first run printed a few lines and has one damaged event line.
  const first = join(workspace.path, TRACKSIDE_DIR, RUNS_DIR, runIds[0] as string);
  writeFileSync(join(first, RunFile.output), 'epoch 1 loss 1.2\nepoch 2 loss 0.8\ntraining done\n');
  appendFileSync(join(first, RunFile.events), '{"type": "metric", "key": \n');
  return { workspace: workspace.path };
});

/** The index as the extension built it (read-only beside it: WAL lets both open it). */
function indexTable(ids: readonly string[]): CompareTable {
  const store = IndexStore.openWorkspace(workspace.path);
  try {
    return buildCompareTable(getComparison(store, ids));
  } finally {
    store.close();
  }
}

function column(id: string, aggregate: 'last' | 'min' | 'max' = 'last'): Column {
  const c = resolveColumn(id, aggregate);
  assert.ok(c);
  return c;
}

const table = (view: FrameLocator) => view.locator('trackside-runs-table [role="grid"]');
const rowNames = (view: FrameLocator) => table(view).locator('.row .cell[data-column="name"]').allInnerTexts();

/**
 * Runs a palette command that opens a quick pick of its own (the quick input stays open), and waits
 * until the pick lists `expected`. The palette's filter does not match a title's ellipsis: pass the
 * title without it.
 */
async function commandWithPick(page: Page, title: string, expected: string): Promise<void> {
  await paletteCommand(page, title);
  await page
    .locator('.quick-input-list .monaco-list-row')
    .filter({ hasText: expected })
    .first()
    .waitFor({ timeout: stepTimeout });
}

async function pickRunsFromPalette(page: Page, names: readonly string[]): Promise<void> {
  await commandWithPick(page, 'Trackside: Compare Runs', names[0] as string);
  await tickRunsAndAccept(page, names);
}

/** In the open Compare Runs pick: ticks each named run, then accepts. */
async function tickRunsAndAccept(page: Page, names: readonly string[]): Promise<void> {
  const input = page.locator('.quick-input-widget input.input');
  for (const name of names) {
    await input.fill(name);
    const row = page.locator('.quick-input-list .monaco-list-row').filter({ hasText: name }).first();
    await row.waitFor({ timeout: stepTimeout });
    await row.locator('.quick-input-list-checkbox, input[type="checkbox"], .monaco-checkbox').first().click();
  }
  await input.fill('');
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: stepTimeout });
}

async function waitForRows(view: FrameLocator, expected: string[]): Promise<void> {
  const deadline = Date.now() + stepTimeout;
  let names: string[] = [];
  while (Date.now() < deadline) {
    names = await rowNames(view).catch(() => []);
    if (JSON.stringify(names) === JSON.stringify(expected)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.deepEqual(names, expected);
}

suite.test(
  'Compare Runs… shows the three runs with the values of the index',
  async ({ workbench, page }) => {
    await workbench.open();
    // The palette lists the extension's commands once the extension is loaded.
    await workbench.activityBarItem('Trackside').waitFor({ timeout: stepTimeout });
    await pickRunsFromPalette(
      page,
      runs.map((r) => r.name),
    );
    const view = workbench.webviewFrame();
    await table(view).waitFor({ timeout: stepTimeout });
    const expected = indexTable(runIds);
    const created = sortRows(expected, expected.rows, column('start'), 'asc').map((r) => r.name);
    await waitForRows(view, created);
    for (const row of expected.rows) {
      const cells = table(view).locator(`.row[data-run-id="${row.id}"] .cell`);
      const text = async (columnId: string) =>
        (await cells.filter({ has: page.locator(`xpath=self::*[@data-column="${columnId}"]`) }).innerText()).trim();
      assert.equal(await text('name'), row.name);
      assert.equal(await text('status'), 'finished');
      assert.equal(await text('param:lr'), formatNumber(row.params[expected.paramKeys.indexOf('lr')] as number));
      assert.equal(await text('param:optimizer'), row.params[expected.paramKeys.indexOf('optimizer')]);
      const loss = expected.metricKeys.indexOf('loss');
      assert.equal(await text('metric:loss'), formatNumber(row.metrics[loss * 3] as number));
    }
  },
  { compat: true },
);

suite.test('sorting, the diff-only switch and the expression filter change the rows', async ({ workbench }) => {
  const view = workbench.webviewFrame();
  const expected = indexTable(runIds);
  const byLoss = sortRows(expected, expected.rows, column('metric:loss'), 'asc').map((r) => r.name);

  // Loss is minimised: the first click puts the best run first, the second reverses.
  const lossHeader = table(view).locator('.th[data-column="metric:loss"] .label');
  await lossHeader.click();
  await waitForRows(view, byLoss);
  assert.equal(await table(view).locator('.th[data-column="metric:loss"]').getAttribute('aria-sort'), 'ascending');
  await lossHeader.click();
  await waitForRows(view, [...byLoss].reverse());

  // The best loss is marked in its column.
  const best = table(view).locator('.cell.best[data-column="metric:loss"]');
  assert.equal(await best.count(), 1);
  assert.equal(
    (await best.innerText()).trim(),
    formatNumber(Math.min(...expected.rows.map((r) => r.metrics[3] as number))),
  );

  // epochs is 40 in every run: hidden when only differing params are shown.
  const header = (id: string) => table(view).locator(`.th[data-column="${id}"]`);
  assert.equal(await header('param:epochs').count(), 1);
  await view.locator('#diff-only').click();
  await header('param:epochs').waitFor({ state: 'detached', timeout: stepTimeout });
  assert.equal(await header('param:lr').count(), 1);
  assert.equal(await header('param:optimizer').count(), 1);
  await view.locator('#diff-only').click();
  await header('param:epochs').waitFor({ timeout: stepTimeout });

  const expression = view.locator('#expression-filter input');
  await expression.fill('lr > 0.02 and status = finished');
  await waitForRows(
    view,
    ['sgd-lr-0.05', 'adam-lr-0.1'].sort((a, b) => byLoss.indexOf(b) - byLoss.indexOf(a)),
  );
  await expression.fill('optimizer = adam and not lr >= 0.1');
  await waitForRows(view, ['adam-lr-0.01']);
  await expression.fill('lr >');
  await view.getByText(/Not applied: expected a value/).waitFor({ timeout: stepTimeout });
  await expression.fill('');
  await waitForRows(view, [...byLoss].reverse());
});

suite.test(
  'the overlay chart draws one line per run',
  async ({ workbench }) => {
    const view = workbench.webviewFrame();
    await view.getByRole('tab', { name: 'Charts' }).click();
    const lines = view.locator('trackside-metric-chart .plot[data-key="loss"] .mark-line path');
    await lines.first().waitFor({ timeout: stepTimeout });
    assert.equal(await lines.count(), 3);
    for (const path of await lines.all()) {
      const d = (await path.getAttribute('d')) ?? '';
      assert.ok(d.split(/[LM]/).length > 30, `each line has its 40 points, got "${d.slice(0, 60)}…"`);
    }
    const legend = await view
      .locator('trackside-metric-chart .plot[data-key="loss"] .role-legend-label text')
      .evaluateAll((texts) => texts.map((t) => t.textContent ?? ''));
    assert.deepEqual([...legend].sort(), runs.map((r) => r.name).sort());
  },
  { compat: true },
);

suite.test(
  'Export CSV writes the table as shown to the file chosen in the save dialog',
  async ({ workbench, page }) => {
    const view = workbench.webviewFrame();
    await view.getByRole('tab', { name: 'Table' }).click();
    await table(view).waitFor({ timeout: stepTimeout });
    await view.getByRole('button', { name: 'Export CSV' }).click();
    // In the browser the save dialog is VS Code's own: a quick input holding the path.
    const input = page.locator('.quick-input-widget input.input');
    await input.waitFor({ timeout: stepTimeout });
    // The dialog fills in the suggested name once it has read the folder; replace it after that.
    await page.waitForFunction(
      () =>
        (document.querySelector('.quick-input-widget input.input') as HTMLInputElement | null)?.value.endsWith(
          'trackside-runs.csv',
        ),
      undefined,
      { timeout: stepTimeout },
    );
    await input.fill(exportPath);
    assert.equal(await input.inputValue(), exportPath);
    await page.keyboard.press('Enter');
    const deadline = Date.now() + stepTimeout;
    let written = '';
    while (Date.now() < deadline) {
      try {
        written = readFileSync(exportPath, 'utf8');
        if (written) break;
      } catch {
        // not written yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const expected = indexTable(runIds);
    const rows = sortRows(expected, expected.rows, column('metric:loss'), 'desc');
    const columns = [
      ...['name', 'status', 'start', 'duration'].map((id) => column(id)),
      ...expected.metricKeys.map((k) => column(`metric:${k}`)),
      ...expected.paramKeys.map((k) => column(`param:${k}`)),
      ...['commit', 'experiment'].map((id) => column(id)),
    ];
    assert.equal(written, toCsv(expected, rows, columns));
    assert.equal(
      written.split('\r\n')[0],
      'id,Name,Status,Start,Duration,accuracy (last),loss (last),epochs,lr,optimizer,Commit,Experiment',
    );
  },
);

/** Picks a colour theme the way a user does: the palette's "Preferences: Color Theme", then the theme. */
async function setTheme(page: Page, theme: string): Promise<void> {
  const input = page.locator('.quick-input-widget input.input');
  await paletteCommand(page, 'Preferences: Color Theme');
  // The same quick input now lists the themes.
  await page
    .locator('.quick-input-list .monaco-list-row')
    .filter({ hasText: 'Dark Modern' })
    .first()
    .waitFor({ timeout: stepTimeout });
  await input.fill(theme);
  await page
    .locator('.quick-input-list .monaco-list-row')
    .filter({ hasText: theme })
    .first()
    .click({ timeout: stepTimeout });
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: stepTimeout });
}

suite.test('screenshots of the panel in a light and a dark theme', async ({ workbench, page }) => {
  const view = workbench.webviewFrame();
  for (const [theme, bodyClass] of [
    ['Light Modern', 'vscode-light'],
    ['Dark Modern', 'vscode-dark'],
  ] as const) {
    await setTheme(page, theme);
    await view.locator(`body.${bodyClass}`).waitFor({ timeout: stepTimeout });
    await view.getByRole('tab', { name: 'Table' }).click();
    await table(view).waitFor({ timeout: stepTimeout });
    await view.locator('trackside-runs-table .row').first().click();
    await workbench.screenshot(`compare-${bodyClass}-table`);
    await view.getByRole('tab', { name: 'Charts' }).click();
    await view
      .locator('trackside-metric-chart .plot[data-key="loss"] .mark-line path')
      .first()
      .waitFor({ timeout: stepTimeout });
    await workbench.screenshot(`compare-${bodyClass}-charts`);
    await view.getByRole('tab', { name: 'Params' }).click();
    await view.locator('trackside-param-charts #parallel .mark-line path').first().waitFor({ timeout: stepTimeout });
    await workbench.screenshot(`compare-${bodyClass}-params`);
  }
  await view.getByRole('tab', { name: 'Table' }).click();
});

suite.test(
  'after a window reload the panel comes back with the same runs, sort and filter',
  async ({ workbench, page }) => {
    let view = workbench.webviewFrame();
    await table(view).waitFor({ timeout: stepTimeout });
    const lossHeader = table(view).locator('.th[data-column="metric:loss"]');
    // Sorted descending by the earlier test; make it ascending, then filter by text.
    while ((await lossHeader.getAttribute('aria-sort')) !== 'ascending') await lossHeader.locator('.label').click();
    await view.locator('#text-filter input').fill('adam');
    const expected = indexTable(runIds);
    const adamByLoss = sortRows(expected, expected.rows, column('metric:loss'), 'asc')
      .map((r) => r.name)
      .filter((name) => name.includes('adam'));
    await waitForRows(view, adamByLoss);

    // The user's reload: VS Code saves the webview state (sort, filter, runs) before the window goes.
    await page.waitForTimeout(500);
    const navigated = page.waitForEvent('framenavigated', {
      predicate: (frame) => frame === page.mainFrame(),
      timeout: stepTimeout,
    });
    await (await openQuickInput(page, 'F1')).fill('>Developer: Reload Window');
    await page
      .locator('.quick-input-list .monaco-list-row')
      .filter({ hasText: 'Developer: Reload Window' })
      .first()
      .waitFor({ timeout: stepTimeout });
    await page.keyboard.press('Enter');
    await navigated;
    await page.locator('.monaco-workbench').waitFor({ timeout: stepTimeout });
    view = workbench.webviewFrame();
    await table(view).waitFor({ timeout: stepTimeout });
    await waitForRows(view, adamByLoss);
    assert.equal(await view.locator('#text-filter input').inputValue(), 'adam');
    assert.equal(await table(view).locator('.th[data-column="metric:loss"]').getAttribute('aria-sort'), 'ascending');
    assert.match(await view.locator('#row-count').innerText(), /2 of 3 runs/);
    await view.locator('#text-filter input').fill('');
  },
);

/** A run still training: status running, owned by this (live) test process so ingest keeps it running. */
function writeRunningRun(name: string, points: number): { id: string; append(step: number): number } {
  const id = monotonicFactory()();
  const dir = join(workspace.path, TRACKSIDE_DIR, RUNS_DIR, id);
  mkdirSync(dir, { recursive: true });
  const now = Date.now();
  const info = {
    version: PROTOCOL_VERSION,
    id,
    experiment: 'digits',
    name,
    argv: [PYTHON, 'train.py'],
    cwd: workspace.path,
    script: 'train.py',
    createdAt: new Date(now).toISOString(),
    git: null,
    environment: {
      os: process.platform,
      platform: process.platform,
      arch: process.arch,
      hostname: hostname(),
      node: process.version,
      interpreter: PYTHON,
      interpreterVersion: null,
      packages: {},
    },
    params: { lr: 0.02 },
  };
  const status = {
    version: PROTOCOL_VERSION,
    status: 'running',
    pid: process.pid,
    exitCode: null,
    startedAt: new Date(now).toISOString(),
    endedAt: null,
  };
  const line = (step: number) =>
    `${JSON.stringify({ type: 'metric', key: 'loss', value: 2 / (step + 1), step, ts: Date.now() / 1000 })}\n`;
  writeFileSync(join(dir, RunFile.run), JSON.stringify(info));
  writeFileSync(join(dir, RunFile.status), JSON.stringify(status));
  writeFileSync(join(dir, RunFile.events), Array.from({ length: points }, (_, step) => line(step)).join(''));
  return {
    id,
    append(step) {
      const appendedAt = Date.now();
      appendFileSync(join(dir, RunFile.events), line(step));
      return appendedAt;
    },
  };
}

/** Waits until the chart says it drew the live point at `step`; resolves with when it did. */
async function waitForLiveDrawn(chart: Locator, step: number): Promise<number> {
  const deadline = Date.now() + stepTimeout;
  for (;;) {
    const drawn = JSON.parse((await chart.getAttribute('data-live-drawn')) ?? 'null') as {
      x: number;
      at: number;
    } | null;
    if (drawn?.x === step) return drawn.at;
    assert.ok(Date.now() < deadline, `point ${step} was not drawn`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

suite.test(
  'new points of a running run reach the open chart, as lines and as grouped bands (latency written to test-results)',
  async ({ workbench, page }) => {
    // The run starts while the pick is open: the pick lists it without being closed.
    await commandWithPick(page, 'Trackside: Compare Runs', runs[0]!.name);
    const live = writeRunningRun('live-run', 5);
    await tickRunsAndAccept(page, ['live-run']);
    const view = workbench.webviewFrame();
    await waitForRows(view, ['live-run']);
    await view.getByRole('tab', { name: 'Charts' }).click();
    const chart = view.locator('trackside-metric-chart').filter({ has: view.locator('.plot[data-key="loss"]') });
    const path = chart.locator('.mark-line path');
    await path.first().waitFor({ timeout: stepTimeout });

    const delays: number[] = [];
    for (let step = 5; step < 35; step++) {
      const appendedAt = live.append(step);
      delays.push((await waitForLiveDrawn(chart, step)) - appendedAt);
      // A training loop logs every few hundred milliseconds at most; give each point its own ingest.
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // 5 points from the start and 30 appended: one line holding them all.
    assert.equal(await path.count(), 1);
    const d = (await path.first().getAttribute('d')) ?? '';
    assert.ok(d.split(/[LM]/).length - 1 >= 35, `the line holds the 35 points, got ${d.split(/[LM]/).length - 1}`);

    // Grouped by a param, the chart draws mean ± std bands, and they follow the run too.
    await view.locator('#group-by').click();
    await view.locator('#group-by').getByRole('option', { name: 'lr', exact: true }).click();
    await chart.locator('.mark-area path').first().waitFor({ timeout: stepTimeout });
    for (let step = 35; step < 38; step++) {
      live.append(step);
      await waitForLiveDrawn(chart, step);
    }
    await workbench.screenshot('compare-live-bands');
    await view.locator('#group-by').click();
    await view.locator('#group-by').getByRole('option', { name: '(no grouping)', exact: true }).click();
    await chart.locator('.mark-area path').first().waitFor({ state: 'detached', timeout: stepTimeout });

    const sorted = [...delays].sort((a, b) => a - b);
    const p95 = sorted[Math.ceil(sorted.length * 0.95) - 1] ?? Number.NaN;
    const report = {
      points: delays.length,
      p50: sorted[Math.floor(sorted.length / 2)],
      p95,
      max: sorted.at(-1),
      delays,
    };
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(join(resultsDir, 'compare-live-latency.json'), `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(
      `live point latency (append → drawn): p50 ${report.p50} ms, p95 ${p95} ms, max ${report.max} ms\n`,
    );
  },
);

suite.test('Open Run shows one run; its tags and note are saved to annotations.json', async ({ workbench, page }) => {
  await commandWithPick(page, 'Trackside: Open Run', runs[0]!.name);
  const input = page.locator('.quick-input-widget input.input');
  await input.fill(runs[0]!.name);
  await page.locator('.quick-input-list .monaco-list-row').filter({ hasText: runs[0]!.name }).first().click();
  const view = workbench.webviewFrame();
  await view.getByRole('heading', { name: runs[0]!.name }).waitFor({ timeout: stepTimeout });
  const params = view.locator('trackside-run-view section[aria-label="Params"]');
  assert.match(await params.innerText(), /lr\s+0\.1/);
  assert.match(await params.innerText(), /optimizer\s+adam/);
  const metrics = view.locator('trackside-run-view section[aria-label="Metrics"]');
  assert.match(await metrics.innerText(), /loss/);
  assert.match(await view.locator('trackside-run-view section[aria-label="Output"]').innerText(), /training done/);
  await view.getByText('1 malformed line in events.jsonl was skipped.').waitFor({ timeout: stepTimeout });
  await view
    .locator('trackside-run-view trackside-metric-chart .mark-line path')
    .first()
    .waitFor({ timeout: stepTimeout });

  await view.locator('#new-tag input').fill('candidate=yes');
  await view.getByRole('button', { name: 'Add Tag' }).click();
  await view.locator('#note textarea').fill('Best lr so far; try a longer schedule.');
  await view.getByRole('button', { name: 'Save', exact: true }).click();
  const file = join(workspace.path, TRACKSIDE_DIR, RUNS_DIR, runIds[0] as string, 'annotations.json');
  const deadline = Date.now() + stepTimeout;
  let saved: { tags: Record<string, string>; note: string } | undefined;
  while (!saved && Date.now() < deadline) {
    try {
      saved = JSON.parse(readFileSync(file, 'utf8')) as typeof saved;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  assert.deepEqual(saved?.tags, { candidate: 'yes' });
  assert.equal(saved?.note, 'Best lr so far; try a longer schedule.');
  await view.getByText(/^Saved /).waitFor({ timeout: stepTimeout });
  await workbench.screenshot('compare-run-view');
});

suite.test(
  'the panel ran without a Content Security Policy violation',
  async ({ console: consoleLog }) => {
    const violations = consoleLog.cspViolations();
    assert.deepEqual(violations, [], `CSP violations:\n${ConsoleLog.format(violations)}`);
  },
  { compat: true },
);
