import { eventually } from '../fixtures/polling';
import { runIdNamed } from '../fixtures/run-lookup';
import { PYTHON } from '../fixtures/python';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Locator, Page } from 'playwright-core';
import { isProcessAlive } from '../../src/core/runs/ingest-status';
import { committedLine, editorWorkspace, holdFile, slowScript, uncommittedLine } from './fixtures/editor-workspace';
import { workbenchSuite } from './harness/suite';
import type { Workbench } from './harness/workbench';
import { contextMenu, openQuickInput, paletteCommand, rowTooltip, stepTimeout } from './harness/workbench';

// Issue 4, as a user clicks: run a script from its CodeLens, watch it in the Experiments view, the
// terminal and beside the code, then stop, rerun with other params, diff its code and reload the
// window while a run trains. Every run is a real /usr/bin/python3 process started by the launcher.
// The dark theme is the one where a faint sparkline would go unnoticed.

const workspace = editorWorkspace();
after(() => workspace.dispose());

const suite = workbenchSuite('editor-runs', () => ({
  workspace: workspace.path,
  settings: {
    'trackside.python.interpreter': PYTHON,
    // Several samples of CPU and memory in a run of a few seconds.
    'trackside.systemMetrics.intervalSeconds': 1,
    // The DOM renderer keeps the terminal's text in the page, where a test can read it.
    'terminal.integrated.gpuAcceleration': 'off',
  },
}));

/** Lets the slow script train up to `epoch`, then wait there until {@link release} (see holdFile). */
function holdAfter(epoch: number): void {
  writeFileSync(join(workspace.path, holdFile), String(epoch));
}

function release(): void {
  rmSync(join(workspace.path, holdFile), { force: true });
}
// A journey that fails while holding a run must not leave the next journey's runs waiting.
afterEach(release);

/** Names of the runs the journeys start, in order, shared by the tests of this file. */
const runs: { first?: string } = {};

/** Opens a workspace file with Quick Open, as a user types its name. */
async function openFile(page: Page, name: string): Promise<void> {
  await openQuickInput(page, 'Control+P', name);
  await page
    // Not a copy of the file that a code diff opened from a temp folder (Quick Open remembers it).
    .locator('.quick-input-list .monaco-list-row:not([aria-label*="trackside-run-code"])')
    .filter({ has: page.locator('.label-name', { hasText: name }) })
    .first()
    .click();
  await page.locator('.tabs-container .tab.active', { hasText: name }).waitFor({ timeout: stepTimeout });
}

/** Scrolls the active editor to the first line of the script that contains `text` (Go to Line). */
async function revealLine(page: Page, text: string): Promise<void> {
  const lines = readFileSync(join(workspace.path, slowScript), 'utf8').split('\n');
  const line = lines.findIndex((l) => l.includes(text)) + 1;
  assert.ok(line > 0, `${slowScript} has a line with ${text}`);
  await page.locator('.editor-instance .view-lines').first().click();
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ timeout: stepTimeout });
  await input.fill(`:${line}`);
  await input.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: stepTimeout });
}

async function clickCodeLens(page: Page, title: string): Promise<void> {
  // The entry-point guard is at the end of the script: scroll there, as the terminal panel may hide it.
  await page.locator('.editor-instance .view-lines').first().click();
  await page.keyboard.press('Control+End');
  // The one in view: the script's top has the same lens, scrolled out of sight now.
  const lens = page
    .locator('.editor-instance .codelens-decoration a', { hasText: title })
    .filter({ visible: true })
    .first();
  await lens.waitFor({ timeout: stepTimeout });
  await lens.click();
}

/** Accessible labels of the run rows (level 2) of the Experiments view: "<name>, <status>[, <metric> <value>]". */
async function runLabels(view: Locator): Promise<string[]> {
  return view
    .locator('.monaco-list-row[aria-level="2"]')
    .evaluateAll((rows) => rows.map((row) => row.getAttribute('aria-label') ?? ''));
}

/** Waits for a run row whose label matches and returns that label. */
async function waitForRunLabel(view: Locator, pattern: RegExp, timeout = stepTimeout): Promise<string> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const labels = await runLabels(view);
    const label = labels.find((l) => pattern.test(l));
    if (label) return label;
    if (Date.now() > deadline) throw new Error(`no run row matches ${pattern}; rows: ${labels.join(' | ') || 'none'}`);
    await sleep(200);
  }
}

function runRow(view: Locator, name: string): Locator {
  return view.locator(`.monaco-list-row[aria-level="2"][aria-label^="${name}, "]`);
}

/** The names of runs not in `known` whose label matches `pattern`. */
async function waitForNewRun(view: Locator, known: readonly string[], pattern: RegExp): Promise<string> {
  const label = await waitForRunLabel(
    view,
    new RegExp(`^(?!(?:${known.map((n) => n.replace(/[-]/g, '\\-')).join('|') || '\\u0000'}),)${pattern.source}`),
  );
  return label.split(',')[0]!;
}

/** The quick pick of a run's params (Run with Parameters…, Rerun with Changed Params…). */
const paramsPick = (page: Page) =>
  page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Add parameter' });

/** In a quick pick of params: pick `key`, type its value, then pick Run. */
async function changeParamAndRun(page: Page, key: string, value: string): Promise<void> {
  const rows = page.locator('.quick-input-list .monaco-list-row');
  await rows
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${key}$`) }) })
    .first()
    .click();
  const input = page.locator('.quick-input-widget input.input');
  await page.locator('.quick-input-widget .quick-input-message', { hasText: `Value of ${key}` }).waitFor();
  await input.fill(value);
  await input.press('Enter');
  const run = rows.filter({ has: page.locator('.label-name', { hasText: 'Run' }) }).first();
  await rows
    .filter({ hasText: `${key}=${value}` })
    .first()
    .waitFor({ timeout: stepTimeout });
  await run.click();
}

/**
 * The sparkline beside the `ts.log_metric` line: VS Code renders a decoration's `contentIconPath` as
 * the CSS `content: url(...)` of a `::before` pseudo-element on a span injected into the view line.
 */
async function sparkline(page: Page): Promise<{ image: string; width: number; height: number } | null> {
  return page.evaluate(() => {
    const line = [...document.querySelectorAll('.editor-instance .view-line')].find((l) =>
      l.textContent?.includes('ts.log_metric'),
    );
    for (const span of line?.querySelectorAll('span[class*="ced-"]') ?? []) {
      const content = getComputedStyle(span, '::before').content;
      if (!content.startsWith('url("data:image/svg+xml')) continue;
      // The span holds only the pseudo-element: its box is the image plus the decoration's left margin.
      const box = span.getBoundingClientRect();
      const margin = parseFloat(getComputedStyle(span, '::before').marginLeft) || 0;
      return { image: content, width: box.width - margin, height: box.height };
    }
    return null;
  });
}

/** The text of the `after` decoration on the `ts.log_metric` line (a CSS `::after` content). */
async function lineValue(page: Page): Promise<string> {
  return page.evaluate(() => {
    const line = [...document.querySelectorAll('.editor-instance .view-line')].find((l) =>
      l.textContent?.includes('ts.log_metric'),
    );
    return [...(line?.querySelectorAll('span[class*="ced-"]') ?? [])]
      .map((span) => getComputedStyle(span, '::after').content)
      .join(' ');
  });
}

/** The dark theme, picked as a user does (the colorTheme user setting is not applied by code-server at start). */
async function useDarkTheme(page: Page): Promise<void> {
  const input = page.locator('.quick-input-widget input.input');
  await paletteCommand(page, 'Preferences: Color Theme');
  // The same quick input now lists the themes.
  const dark = page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'Dark Modern' }).first();
  await dark.waitFor({ timeout: stepTimeout });
  await input.fill('Dark Modern');
  await dark.click({ timeout: stepTimeout });
  await page.locator('.monaco-workbench.vs-dark').waitFor({ timeout: stepTimeout });
}

async function experimentsView(workbench: Workbench): Promise<Locator> {
  return workbench.openView('Trackside', 'Experiments');
}

suite.test(
  'the CodeLens runs the script: terminal output, a spinning row, then its metric',
  async (session) => {
    const { workbench, page } = session;
    await workbench.open();
    const view = await experimentsView(workbench);
    await openFile(page, slowScript);
    // Found where a user opening the script looks: a CodeLens at its top, a ▶ in the editor's title bar.
    await page.locator('.editor-instance .view-lines').first().click();
    await page.keyboard.press('Control+Home');
    // The lenses are redrawn whenever runs change, so each probe measures the ones on screen now.
    const lenses = page.locator('.editor-instance .codelens-decoration a', { hasText: 'Run with Trackside' });
    await eventually(
      'a Run CodeLens at the top of the script',
      async () => {
        const lines = await page.locator('.editor-instance .view-lines').first().boundingBox();
        const tops = await Promise.all((await lenses.all()).map(async (lens) => (await lens.boundingBox())?.y));
        return lines !== null && tops.some((y) => y !== undefined && y - lines.y < 200);
      },
      stepTimeout,
    );
    await page
      .locator('.editor-actions .action-label[aria-label*="Run Current File with Tracking"]')
      .first()
      .waitFor({ timeout: stepTimeout });
    await workbench.screenshot('editor-runs--top-codelens');
    holdAfter(2);
    await clickCodeLens(page, 'Run with Trackside');

    const name = await waitForNewRun(view, [], /[^,]+, running/);
    runs.first = name;
    const row = runRow(view, name);
    await row.locator('.codicon-loading.codicon-modifier-spin').waitFor({ timeout: stepTimeout });
    await page.locator('.xterm-rows', { hasText: '[train] epoch 2 of 12' }).waitFor({ timeout: stepTimeout });
    await waitForRunLabel(view, new RegExp(`^${name}, running, loss`));
    await workbench.screenshot('editor-runs--running');
    release();

    const finished = await waitForRunLabel(view, new RegExp(`^${name}, finished, loss 0\\.`), 30_000);
    assert.match(finished, /loss 0\.1[0-9]*$/, 'the primary metric is the last logged loss');
    assert.equal(await row.locator('.codicon-loading').count(), 0, 'no spinner once the run has ended');
    await row.locator('.codicon-pass').waitFor({ timeout: stepTimeout });
    await page.locator('.xterm-rows', { hasText: '[train] epoch 12 of 12' }).waitFor({ timeout: stepTimeout });
    // The status bar stops counting it as running, without a reload.
    await page.locator('.statusbar-item', { hasText: /\d+ running/ }).waitFor({ state: 'hidden', timeout: 5000 });
    await workbench.screenshot('editor-runs--status-bar-after-run');

    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: `Run ${name} finished.` });
    await toast.waitFor({ timeout: stepTimeout });
    await toast.getByRole('button', { name: 'Compare with Best' }).waitFor({ timeout: stepTimeout });
  },
  { compat: true },
);

suite.test('the finished run’s view charts its CPU and memory in a System section of their own', async (session) => {
  const { workbench } = session;
  await workbench.runCommand('Trackside: Show Latest Run Metrics');
  const view = workbench.webviewFrame();
  await view.getByRole('heading', { name: runs.first! }).waitFor({ timeout: stepTimeout });
  const metrics = await view.locator('trackside-run-view section[aria-label="Metrics"]').innerText();
  assert.match(metrics, /loss/);
  assert.doesNotMatch(metrics, /sys\//, 'the model’s metrics table holds no system metric');
  const system = await view.locator('trackside-run-view .sections section[aria-label="System"]').innerText();
  assert.match(system, /sys\/cpu_percent/);
  assert.match(system, /sys\/rss_mb/);
  // Charted below the model's metrics, each under its own name, without being ticked first.
  const charts = view.locator('trackside-charts-panel section[aria-label="System charts"] trackside-metric-chart');
  await charts.first().waitFor({ timeout: stepTimeout });
  const keys = await charts.evaluateAll((elements) => elements.map((e) => (e as HTMLElement & { key: string }).key));
  assert.deepEqual(keys.sort(), ['sys/cpu_percent', 'sys/rss_mb']);
  await workbench.screenshot('editor-runs--system-metrics');
  await workbench.runCommand('View: Close Editor');
});

suite.test(
  'while a rerun trains, the sparkline beside log_metric updates; the hover charts the runs',
  async (session) => {
    const { workbench, page } = session;
    await useDarkTheme(page);
    const view = await experimentsView(workbench);
    const first = runs.first!;
    holdAfter(2);
    await contextMenu(page, runRow(view, first), 'Rerun');
    const name = await waitForNewRun(view, [first], /[^,]+, running/);

    await revealLine(page, 'ts.log_metric(');
    const early = await eventually('a sparkline beside the log_metric line', () => sparkline(page));
    // 64×14 px drawn beside a 19 px line: visible, and neither stretched nor clipped by the line.
    assert.ok(early.width >= 60 && early.width <= 80, `sparkline width ${early.width}`);
    assert.ok(early.height >= 12 && early.height <= 19, `sparkline height ${early.height}`);
    // Held again at epoch 6: the sparkline must change while the run is still training.
    holdAfter(6);
    const later = await eventually('the sparkline to change as the run logs', async () => {
      const now = await sparkline(page);
      return now && now.image !== early.image ? now : null;
    });
    assert.notEqual(later.image, early.image);
    // The line runs past the editor's right edge, and its end with it; the gutter's sparkline stays in view.
    const inView = await page.evaluate(() => {
      const editor = document.querySelector('.editor-instance .monaco-editor')?.getBoundingClientRect();
      const line = [...document.querySelectorAll('.editor-instance .view-line')].find((l) =>
        l.textContent?.includes('ts.log_metric'),
      );
      const top = line?.getBoundingClientRect().top ?? -1;
      // Monaco draws gutter icons as `.cgmr` elements of the glyph margin.
      const icon = [...document.querySelectorAll<HTMLElement>('.editor-instance .cgmr')].find(
        (el) =>
          Math.abs(el.getBoundingClientRect().top - top) < 4 &&
          getComputedStyle(el).backgroundImage.includes('data:image/svg'),
      );
      const end = [...(line?.querySelectorAll('span[class*="ced-"]') ?? [])].at(-1)?.getBoundingClientRect();
      const box = icon?.getBoundingClientRect();
      const images = [...document.querySelectorAll<HTMLElement>('.editor-instance .margin *')]
        .filter((el) => getComputedStyle(el).backgroundImage.includes('data:image/svg'))
        .map((el) => `${el.className} @${Math.round(el.getBoundingClientRect().top - top)}`);
      return {
        gutter: !!box && !!editor && box.left >= editor.left && box.right <= editor.right && box.width > 8,
        endOffScreen: !!end && !!editor && end.left > editor.right,
        images,
      };
    });
    assert.ok(inView.endOffScreen, 'the end-of-line chart is past the editor’s right edge');
    assert.ok(inView.gutter, `a sparkline in the gutter of the long line is in view: ${inView.images.join(', ')}`);
    assert.match(await runLabels(view).then((l) => l.join('|')), new RegExp(`${name}, running`), 'it changed mid-run');
    await workbench.screenshot('editor-runs--live-sparkline');
    release();

    await waitForRunLabel(view, new RegExp(`^${name}, finished`), 30_000);
    // The value beside the line compares against the previous run of the script (same params: unchanged).
    await eventually('the value beside the line', () => lineValue(page).then((v) => /loss 0\.1496 \(=\)/.test(v)));
    await page
      .locator('.editor-instance .view-line', { hasText: 'ts.log_metric' })
      .locator('span span')
      .first()
      .hover();
    const hover = page
      .locator('.monaco-hover', { hasText: 'over the last 2 runs of this script' })
      .filter({ visible: true });
    await hover.waitFor({ timeout: stepTimeout });
    const chart = hover.locator('img[alt="loss chart"]');
    assert.match((await chart.getAttribute('src')) ?? '', /^data:image\/svg\+xml;base64,/);
    const box = await chart.boundingBox();
    assert.ok(
      box && box.width >= 300 && box.height >= 100,
      `the hover chart is drawn at full size: ${JSON.stringify(box)}`,
    );
    await hover.getByRole('link', { name }).waitFor();
    await hover.getByRole('link', { name: first }).waitFor();
    await workbench.screenshot('editor-runs--hover-chart');
    await page.keyboard.press('Escape');
  },
  { compat: true },
);

suite.test('Rerun with Changed Params starts a run with the new value while another rerun trains', async (session) => {
  const { workbench, page } = session;
  const view = await experimentsView(workbench);
  const first = runs.first!;
  const before = (await runLabels(view)).map((l) => l.split(',')[0]!);
  // A plain rerun, held while training, then a second rerun of the same run beside it.
  holdAfter(2);
  await contextMenu(page, runRow(view, first), 'Rerun');
  const held = await waitForNewRun(view, before, /[^,]+, running/);
  await contextMenu(page, runRow(view, first), 'Rerun with Changed Params…', paramsPick(page));
  await changeParamAndRun(page, 'lr', '0.05');
  const name = await waitForNewRun(view, [...before, held], /[^,]+, running/);
  await waitForRunLabel(view, new RegExp(`^${held}, running`));
  await workbench.screenshot('editor-runs--two-reruns');
  release();
  // A running row is redrawn as its metrics arrive, which closes an open hover: read the tooltip once it ends.
  await waitForRunLabel(view, new RegExp(`^${name}, finished`));
  await waitForRunLabel(view, new RegExp(`^${held}, finished`));

  // The tooltip is resolved when the pointer rests on the row.
  const tooltip = await rowTooltip(page, runRow(view, name), name);
  await tooltip.locator('tr', { hasText: /^\s*lr\s*0\.05\s*$/ }).waitFor({ timeout: stepTimeout });
  await workbench.screenshot('editor-runs--changed-params-tooltip');
  await page.mouse.move(700, 850);

  const argv = JSON.parse(
    readFileSync(join(workspace.path, '.trackside', 'runs', await runIdOf(name), 'run.json'), 'utf8'),
  ) as {
    argv: string[];
  };
  assert.deepEqual(argv.argv.slice(-2), ['--lr', '0.05'], 'the script was given the new value');
});

suite.test('Show Code Diff opens a diff editor with the uncommitted change the run used', async (session) => {
  const { workbench, page } = session;
  const view = await experimentsView(workbench);
  const diff = page.locator('.monaco-diff-editor').filter({ visible: true });
  await contextMenu(page, runRow(view, runs.first!), 'Show Code Diff', diff);
  await workbench
    .activeTabTitle()
    .filter({ hasText: /uncommitted changes on [0-9a-f]{8}/ })
    .waitFor();
  const original = diff.locator('.editor.original .view-lines');
  const modified = diff.locator('.editor.modified .view-lines');
  await original.filter({ hasText: committedLine }).waitFor({ timeout: stepTimeout });
  await modified
    .filter({ hasText: uncommittedLine.replace(/ /g, '\u00a0') })
    .or(modified.filter({ hasText: 'gentler schedule' }))
    .waitFor();
  assert.doesNotMatch(await original.innerText(), /gentler schedule/);
  await workbench.screenshot('editor-runs--code-diff');
  // The diff's copy of train_slow.py would otherwise be Quick Open's first match for the next test.
  await workbench.runCommand('View: Close All Editors');
  await workbench.runCommand('Clear Editor History');
  await page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Clear$/ }).click({ timeout: stepTimeout });
});

suite.test('Stop Run in the view ends a training run as killed', async (session) => {
  const { workbench, page } = session;
  const view = await experimentsView(workbench);
  const before = (await runLabels(view)).map((l) => l.split(',')[0]!);
  await openFile(page, slowScript);
  // Held in the middle of training (after epoch 3 of 400), so it is surely running when stopped.
  holdAfter(3);
  await clickCodeLens(page, 'Run with Parameters…');
  await changeParamAndRun(page, 'epochs', '400');
  const name = await waitForNewRun(view, before, /[^,]+, running/);
  await waitForRunLabel(view, new RegExp(`^${name}, running, loss`));
  const killed = view.locator(`.monaco-list-row[aria-level="2"][aria-label^="${name}, killed"]`);
  await contextMenu(page, runRow(view, name), 'Stop Run', killed);
  await runRow(view, name).locator('.codicon-circle-slash').waitFor();
  const status = runStatus(await runIdOf(name));
  assert.equal(status.status, 'killed');
  await page.locator('.notifications-toasts .notification-toast', { hasText: `Run ${name} was stopped` }).waitFor();
  await workbench.screenshot('editor-runs--stopped');
});

suite.test('Delete Run… on a training run stops its process first, and the run stays deleted', async (session) => {
  const { workbench, page } = session;
  const view = await experimentsView(workbench);
  const before = (await runLabels(view)).map((l) => l.split(',')[0]!);
  await openFile(page, slowScript);
  holdAfter(2);
  await clickCodeLens(page, 'Run with Trackside');
  const name = await waitForNewRun(view, before, /[^,]+, running/);
  await waitForRunLabel(view, new RegExp(`^${name}, running, loss`));
  const id = await runIdOf(name);
  const { pid, runnerPid } = JSON.parse(readFileSync(join(runDir(id), 'status.json'), 'utf8')) as {
    pid: number;
    runnerPid: number;
  };

  const confirm = page.locator('.monaco-dialog-box').filter({ hasText: `Delete run "${name}"?` });
  await contextMenu(page, runRow(view, name), 'Delete Run…', confirm);
  assert.match(await confirm.innerText(), /It is still training: it will be stopped first\./);
  await confirm.locator('.monaco-button', { hasText: /^Delete$/ }).click();
  await eventually(`${name} to leave the Experiments view`, async () =>
    (await runLabels(view)).every((l) => !l.startsWith(`${name}, `)),
  );
  // Nothing goes on training for a run that no longer exists, and nothing brings its folder back.
  await eventually(
    'the training process and its launcher to end',
    async () => !isProcessAlive(pid) && !isProcessAlive(runnerPid),
  );
  await sleep(1000);
  assert.equal(existsSync(runDir(id)), false, 'the run folder stays deleted');
  await workbench.screenshot('editor-runs--deleted-while-training');
});

suite.test('a run keeps training through a window reload and is shown finished afterwards', async (session) => {
  const { workbench, page } = session;
  let view = await experimentsView(workbench);
  const before = (await runLabels(view)).map((l) => l.split(',')[0]!);
  await openFile(page, slowScript);
  // Held after epoch 3, so it is still training when the window comes back, however slow the reload.
  holdAfter(3);
  await clickCodeLens(page, 'Run with Parameters…');
  await changeParamAndRun(page, 'epochs', '8');
  const name = await waitForNewRun(view, before, /[^,]+, running, loss/);
  const id = await runIdOf(name);

  await workbench.runCommand('Developer: Reload Window');
  await page.locator('.monaco-workbench').waitFor({ timeout: stepTimeout });
  view = await experimentsView(workbench);
  // Seen again after the reload while it still trains, then finished with all its epochs.
  await waitForRunLabel(view, new RegExp(`^${name}, running, loss`));
  release();
  await waitForRunLabel(view, new RegExp(`^${name}, finished, loss`), 60_000);
  const status = runStatus(id);
  assert.equal(status.status, 'finished');
  assert.equal(status.exitCode, 0);
  const output = readFileSync(join(runDir(id), 'output.log'), 'utf8');
  assert.match(output, /epoch 8 of 8/);
  await workbench.screenshot('editor-runs--after-reload');
});

suite.test('the demo digits script runs from its CodeLens and lists its validation accuracy', async (session) => {
  const { workbench, page } = session;
  const view = await experimentsView(workbench);
  await openFile(page, 'train_digits.py');
  await clickCodeLens(page, 'Run with Trackside');
  await page.locator('.xterm-rows', { hasText: 'test accuracy' }).waitFor({ timeout: 60_000 });
  const label = await waitForRunLabel(view, /, finished, val_acc 0\.9\d*$/, 30_000);
  const name = label.split(',')[0]!;
  await page.locator('.notifications-toasts .notification-toast', { hasText: `Run ${name} finished.` }).waitFor();
  await workbench.screenshot('editor-runs--demo-digits');
});

suite.test(
  'python3 train_digits.py typed in a new terminal records a run: the terminal knows the client',
  async (session) => {
    const { workbench, page } = session;
    const view = await experimentsView(workbench);
    const before = readdirSync(join(workspace.path, '.trackside', 'runs'));
    await workbench.runCommand('Terminal: Create New Terminal');
    const terminal = page.locator('.terminal-wrapper.active .xterm').first();
    await terminal.waitFor({ timeout: stepTimeout });
    await terminal.click();
    // Not through Trackside at all: the script's own `import trackside` finds the client on PYTHONPATH.
    await page.keyboard.type(`${PYTHON} train_digits.py --max-iter 200; echo "exit=$?"`);
    await page.keyboard.press('Enter');
    await page.locator('.xterm-rows', { hasText: /exit=0/ }).waitFor({ timeout: 90_000 });
    assert.equal(await page.locator('.xterm-rows', { hasText: 'ModuleNotFoundError' }).count(), 0);
    const id = await eventually(
      'the terminal run folder',
      async () => readdirSync(join(workspace.path, '.trackside', 'runs')).find((d) => !before.includes(d)) ?? null,
    );
    const info = JSON.parse(readFileSync(join(runDir(id), 'run.json'), 'utf8')) as { name: string; script: string };
    assert.match(info.script, /train_digits\.py$/);
    await waitForRunLabel(view, new RegExp(`^${info.name}, finished, val_acc 0\\.9`), 30_000);
    await workbench.screenshot('editor-runs--terminal-run');
  },
);

function runDir(id: string): string {
  return join(workspace.path, '.trackside', 'runs', id);
}

function runStatus(id: string): { status: string; exitCode: number | null } {
  return JSON.parse(readFileSync(join(runDir(id), 'status.json'), 'utf8')) as {
    status: string;
    exitCode: number | null;
  };
}

/** The run folder whose run.json carries this name. */
async function runIdOf(name: string): Promise<string> {
  const root = join(workspace.path, '.trackside', 'runs');
  return eventually(`the run folder of ${name}`, () => runIdNamed(root, name));
}
