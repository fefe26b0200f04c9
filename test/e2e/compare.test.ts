import { eventually } from '../fixtures/polling';
import { runIdNamed } from '../fixtures/run-lookup';
import { PYTHON } from '../fixtures/python';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
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
import { repoRoot, resultsDir } from './harness/paths';
import { workbenchSuite } from './harness/suite';
import {
  answerFileDialog,
  openQuickInput,
  paletteCommand,
  paletteCommandWithPick,
  quickPickRow,
  stepTimeout,
} from './harness/workbench';

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

/** Runs a palette command that opens a quick pick of runs, and waits until the pick lists `expected`. */
async function commandWithPick(page: Page, title: string, expected: string): Promise<void> {
  await paletteCommandWithPick(page, title, quickPickRow(page, expected));
}

async function pickRunsFromPalette(page: Page, names: readonly string[]): Promise<void> {
  await commandWithPick(page, 'Trackside: Compare Runs', names[0] as string);
  await tickRunsAndAccept(page, names);
}

/**
 * In the open Compare Runs pick: ticks each named run, then accepts. A pick closes when the
 * workbench moves focus (a webview restored by a reload settles late): closed before it was
 * accepted, it is opened once more and ticked again; a pick still open that does not list a run
 * fails.
 */
async function tickRunsAndAccept(page: Page, names: readonly string[], reopened = false): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('input.input');
  try {
    for (const name of names) {
      await input.fill(name);
      const row = page.locator('.quick-input-list .monaco-list-row').filter({ hasText: name }).first();
      await row.waitFor({ timeout: stepTimeout });
      await row.locator('.quick-input-list-checkbox, input[type="checkbox"], .monaco-checkbox').first().click();
    }
    await input.fill('');
    await page.keyboard.press('Enter');
    await widget.waitFor({ state: 'hidden', timeout: stepTimeout });
  } catch (error) {
    if (reopened || (await widget.isVisible())) throw error;
    process.stdout.write('the Compare Runs pick closed before it was accepted; it is opened again\n');
    await commandWithPick(page, 'Trackside: Compare Runs', names[0] as string);
    await tickRunsAndAccept(page, names, true);
  }
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

/** One run's line as a user sees it: its legend entry and how much of the plot its colour covers. */
interface DrawnLine {
  run: string;
  /** The legend symbol's colour, as `#rrggbb`. */
  color: string;
  /** Pixels of the canvas in that colour. */
  pixels: number;
  /** From the leftmost to the rightmost pixel in that colour, as a share of the plot's width. */
  span: number;
  /** A pixel of the line, in CSS pixels from the canvas' top-left corner. */
  sample: { x: number; y: number } | null;
}

/** How close a pixel must be to a line's colour (sum of channel differences) to count as that line. */
const COLOUR_TOLERANCE = 60;

/**
 * Reads a line chart as it is drawn: vega draws the legend (SVG, run names and colours) and the
 * chart strokes the lines on a canvas; each legend colour is looked for in the canvas' pixels.
 */
async function drawnLines(plot: Locator): Promise<DrawnLine[]> {
  return plot.evaluate((element, tolerance) => {
    const canvas = element.querySelector('canvas.lines') as HTMLCanvasElement | null;
    if (!canvas || canvas.hidden || canvas.width === 0) return [];
    const names = [...element.querySelectorAll('.role-legend-label text')].map((t) => t.textContent ?? '');
    const strokes = [...element.querySelectorAll('.role-legend-symbol path')].map(
      (p) => p.getAttribute('stroke') ?? '',
    );
    const probe = document.createElement('canvas').getContext('2d') as CanvasRenderingContext2D;
    const { data, width, height } = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(
      0,
      0,
      canvas.width,
      canvas.height,
    );
    const ratio = canvas.width / canvas.getBoundingClientRect().width;
    return names.map((run, i) => {
      probe.fillStyle = strokes[i] ?? '';
      const color = String(probe.fillStyle);
      const [r, g, b] = [1, 3, 5].map((at) => parseInt(color.slice(at, at + 2), 16)) as [number, number, number];
      let pixels = 0;
      let left = width;
      let right = -1;
      let sample: { x: number; y: number } | null = null;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const at = (y * width + x) * 4;
          if ((data[at + 3] as number) < 128) continue;
          const distance =
            Math.abs((data[at] as number) - r) +
            Math.abs((data[at + 1] as number) - g) +
            Math.abs((data[at + 2] as number) - b);
          if (distance > tolerance) continue;
          pixels++;
          left = Math.min(left, x);
          right = Math.max(right, x);
          if (!sample && x > width / 3) sample = { x: x / ratio, y: y / ratio };
        }
      }
      return { run, color, pixels, span: right < 0 ? 0 : (right - left + 1) / width, sample };
    });
  }, COLOUR_TOLERANCE);
}

/** Waits until the chart shows `count` lines (any number but none for 'some'), each with pixels on the canvas. */
async function waitForDrawnLines(plot: Locator, count: number | 'some'): Promise<DrawnLine[]> {
  const deadline = Date.now() + stepTimeout;
  let lines: DrawnLine[] = [];
  while (Date.now() < deadline) {
    lines = await drawnLines(plot).catch(() => []);
    const counted = count === 'some' ? lines.length > 0 : lines.length === count;
    if (counted && lines.every((l) => l.pixels > 0)) return lines;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`expected ${count} drawn lines, got ${JSON.stringify(lines)}`);
}

/** Clicks a chart's export button and saves through VS Code's save dialog; returns the file's bytes. */
async function exportChart(page: Page, chart: Locator, format: 'PNG' | 'SVG', path: string): Promise<Buffer> {
  await chart.locator('vscode-button', { hasText: format }).click();
  await answerFileDialog(page, `-chart.${format.toLowerCase()}`, path);
  const deadline = Date.now() + stepTimeout;
  for (;;) {
    try {
      const bytes = readFileSync(path);
      if (bytes.length > 0) return bytes;
    } catch {
      // not written yet
    }
    assert.ok(Date.now() < deadline, `${path} was not written`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The pixels of an 8-bit RGBA PNG (what a canvas exports), decoded with zlib alone. */
function decodePng(png: Buffer): { width: number; height: number; rgba: Uint8Array } {
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
  let at = 8;
  let width = 0;
  let height = 0;
  const chunks: Buffer[] = [];
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    const type = png.subarray(at + 4, at + 8).toString('latin1');
    const body = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      assert.deepEqual([body[8], body[9], body[12]], [8, 6, 0], 'an 8-bit RGBA, non-interlaced PNG');
    } else if (type === 'IDAT') chunks.push(body);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(chunks));
  const stride = width * 4;
  const rgba = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)] as number;
    for (let x = 0; x < stride; x++) {
      const value = raw[y * (stride + 1) + 1 + x] as number;
      const a = x >= 4 ? (rgba[y * stride + x - 4] as number) : 0;
      const b = y > 0 ? (rgba[(y - 1) * stride + x] as number) : 0;
      const c = x >= 4 && y > 0 ? (rgba[(y - 1) * stride + x - 4] as number) : 0;
      const p = a + b - c;
      const paeth =
        Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c)
          ? a
          : Math.abs(p - b) <= Math.abs(p - c)
            ? b
            : c;
      const predicted = [0, a, b, (a + b) >> 1, paeth][filter] as number;
      rgba[y * stride + x] = (value + predicted) & 0xff;
    }
  }
  return { width, height, rgba };
}

/** Pixels of an image in a colour (`#rrggbb`). */
function pixelsInColour(image: { rgba: Uint8Array }, color: string): number {
  const [r, g, b] = [1, 3, 5].map((at) => parseInt(color.slice(at, at + 2), 16)) as [number, number, number];
  let count = 0;
  for (let i = 0; i < image.rgba.length; i += 4) {
    if ((image.rgba[i + 3] as number) < 128) continue;
    const distance =
      Math.abs((image.rgba[i] as number) - r) +
      Math.abs((image.rgba[i + 1] as number) - g) +
      Math.abs((image.rgba[i + 2] as number) - b);
    if (distance <= COLOUR_TOLERANCE) count++;
  }
  return count;
}

suite.test(
  'the overlay chart draws one line per run, shows a point on hover and exports what it draws',
  async ({ workbench, page }) => {
    const view = workbench.webviewFrame();
    await view.getByRole('tab', { name: 'Charts' }).click();
    const chart = view.locator('trackside-metric-chart').filter({ has: view.locator('.plot[data-key="loss"]') });
    const plot = chart.locator('.plot');
    const lines = await waitForDrawnLines(plot, 3);
    assert.deepEqual(lines.map((l) => l.run).sort(), runs.map((r) => r.name).sort());
    assert.equal(new Set(lines.map((l) => l.color)).size, 3, 'each run has its own colour');
    for (const line of lines) {
      // Each run logged 40 steps from 0: its line crosses the whole plot.
      assert.ok(line.span > 0.85, `${line.run} spans ${line.span} of the plot`);
      assert.ok(line.pixels > 100, `${line.run} has ${line.pixels} pixels`);
    }

    // Hovering a line shows the point under the pointer.
    const sample = lines[0]?.sample;
    assert.ok(sample);
    await chart.scrollIntoViewIfNeeded();
    const box = await chart.locator('canvas.lines').boundingBox();
    assert.ok(box);
    // The pointer comes in from outside the plot, as a hand does (the webview sees it enter).
    await page.mouse.move(box.x - 10, box.y - 10);
    await page.mouse.move(box.x + sample.x, box.y + sample.y, { steps: 5 });
    const tip = chart.locator('.tip[role="tooltip"]');
    await tip.waitFor({ timeout: stepTimeout });
    const tipText = await tip.innerText();
    assert.ok(
      runs.some((r) => tipText.includes(r.name)),
      `the tooltip names a run: ${tipText}`,
    );
    assert.match(tipText, /step\s+\d+/);
    assert.match(tipText, /loss\s+[\d.]+/);
    await page.mouse.move(box.x - 20, box.y - 20);
    await tip.waitFor({ state: 'detached', timeout: stepTimeout });

    // The PNG holds the lines in their colours; the SVG holds one path per run with its 40 points.
    const png = decodePng(await exportChart(page, chart, 'PNG', join(workspace.path, 'loss-chart.png')));
    for (const line of lines) {
      assert.ok(pixelsInColour(png, line.color) > 100, `${line.run} is drawn in the exported PNG`);
    }
    const svg = (await exportChart(page, chart, 'SVG', join(workspace.path, 'loss-chart.svg'))).toString('utf8');
    for (const line of lines) {
      // The legend's symbol is a short path in the same colour; the line is the longest one.
      const paths = [...svg.matchAll(new RegExp(`<path d="([^"]*)" stroke="${line.color}"`, 'gi'))];
      assert.ok(paths.length > 0, `${line.run} has a path in the exported SVG`);
      const points = Math.max(...paths.map((p) => (p[1]?.split(/[LM]/).length ?? 1) - 1));
      assert.equal(points, 40, `${line.run}'s path has its 40 points`);
    }
    assert.match(svg, /<text[^>]*>adam-lr-0\.1<\/text>/, 'the legend is in the SVG');
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
    await answerFileDialog(page, 'trackside-runs.csv', exportPath);
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
    // The row clicked above is selected: the chart shows the selected runs.
    await waitForDrawnLines(view.locator('trackside-metric-chart .plot[data-key="loss"]'), 'some');
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
    await openQuickInput(page, 'F1', '>Developer: Reload Window');
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
    await waitForDrawnLines(chart.locator('.plot'), 1);

    const delays: number[] = [];
    for (let step = 5; step < 35; step++) {
      const appendedAt = live.append(step);
      delays.push((await waitForLiveDrawn(chart, step)) - appendedAt);
      // A training loop logs every few hundred milliseconds at most; give each point its own ingest.
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // 5 points from the start and 30 appended: one line, from the first step to the last, across the plot.
    const [line, ...others] = await waitForDrawnLines(chart.locator('.plot'), 1);
    assert.deepEqual(others, []);
    assert.equal(line?.run, 'live-run');
    assert.ok((line?.span ?? 0) > 0.85, `the line spans ${line?.span} of the plot`);

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

suite.test(
  'a real tqdm loop with set_postfix: its loss reaches the Compare chart while the script trains',
  async ({ workbench, page }) => {
    // Unmodified tqdm use, no Trackside call: the bar redraws on stderr and the launcher reads its
    // postfix. The script waits for a file at its 5th and its 20th iteration, so the test knows
    // where it is and that it is still training.
    writeFileSync(
      join(workspace.path, 'train_tqdm.py'),
      [
        'import os, time',
        'from tqdm import tqdm',
        'bar = tqdm(range(40), mininterval=0, miniters=1)',
        'for i in bar:',
        '    time.sleep(0.03)',
        '    bar.set_postfix(loss=1.0 / (i + 1), acc=i / 40)',
        '    for at, gate in ((4, "tqdm-go-1"), (19, "tqdm-go-2")):',
        '        while i == at and not os.path.exists(gate):',
        '            time.sleep(0.05)',
        '',
      ].join('\n'),
    );
    const launcher = spawn(
      process.execPath,
      [join(repoRoot, 'dist', 'cli.js'), 'run', '--name', 'tqdm-live', '--', PYTHON, 'train_tqdm.py'],
      { cwd: workspace.path, stdio: 'ignore' },
    );
    const exited = new Promise<number | null>((resolve) => launcher.once('exit', resolve));
    const liveDrawnStep = async (chart: Locator) =>
      (JSON.parse((await chart.getAttribute('data-live-drawn')) ?? 'null') as { x: number } | null)?.x;
    try {
      const runsDir = join(workspace.path, TRACKSIDE_DIR, RUNS_DIR);
      const runDir = await eventually('the tqdm run’s loss in its folder', () => {
        const id = runIdNamed(runsDir, 'tqdm-live');
        const events = id === undefined ? '' : join(runsDir, id, RunFile.events);
        return id !== undefined && existsSync(events) && readFileSync(events, 'utf8').includes('"loss"')
          ? join(runsDir, id)
          : null;
      });
      await commandWithPick(page, 'Trackside: Compare Runs', 'tqdm-live');
      await tickRunsAndAccept(page, ['tqdm-live']);
      const view = workbench.webviewFrame();
      await waitForRows(view, ['tqdm-live']);
      await view.getByRole('tab', { name: 'Charts' }).click();
      const chart = view.locator('trackside-metric-chart').filter({ has: view.locator('.plot[data-key="loss"]') });
      const [line] = await waitForDrawnLines(chart.locator('.plot'), 1);
      assert.equal(line?.run, 'tqdm-live');

      // Let it train to its 20th iteration: the bar's values reach the open chart as it redraws.
      writeFileSync(join(workspace.path, 'tqdm-go-1'), '');
      await eventually('the bar’s 20th value drawn', async () => (await liveDrawnStep(chart)) === 19, stepTimeout);
      const status = JSON.parse(readFileSync(join(runDir, RunFile.status), 'utf8')) as { status: string };
      assert.equal(status.status, 'running', 'the script is still training');
      await workbench.screenshot('compare-tqdm-live');

      // The bar's last redraw (40/40) is kept however fast it came, and reaches the chart too.
      writeFileSync(join(workspace.path, 'tqdm-go-2'), '');
      assert.equal(await exited, 0);
      await eventually('the bar’s last value drawn', async () => (await liveDrawnStep(chart)) === 40, stepTimeout);
    } finally {
      launcher.kill();
    }
  },
);

suite.test('Open Run shows one run; its tags and note are saved to annotations.json', async ({ workbench, page }) => {
  const view = workbench.webviewFrame();
  const heading = view.getByRole('heading', { name: runs[0]!.name });
  // The live run of the test before may still be ending: the workbench can close a pick as it
  // does (a notification takes the focus), so the pick is made again when it went away.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await commandWithPick(page, 'Trackside: Open Run', runs[0]!.name);
      await page.locator('.quick-input-widget input.input').fill(runs[0]!.name, { timeout: 5000 });
      await page
        .locator('.quick-input-list .monaco-list-row')
        .filter({ hasText: runs[0]!.name })
        .first()
        .click({ timeout: 5000 });
      await heading.waitFor({ timeout: stepTimeout });
      break;
    } catch (error) {
      if (attempt === 2) throw error;
      await page.keyboard.press('Escape');
    }
  }
  const params = view.locator('trackside-run-view section[aria-label="Params"]');
  assert.match(await params.innerText(), /lr\s+0\.1/);
  assert.match(await params.innerText(), /optimizer\s+adam/);
  const metrics = view.locator('trackside-run-view section[aria-label="Metrics"]');
  assert.match(await metrics.innerText(), /loss/);
  assert.match(await view.locator('trackside-run-view section[aria-label="Output"]').innerText(), /training done/);
  await view.getByText('1 malformed line in events.jsonl was skipped.').waitFor({ timeout: stepTimeout });
  await waitForDrawnLines(view.locator('trackside-run-view trackside-metric-chart .plot[data-key="loss"]'), 1);

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
