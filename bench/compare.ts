import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompareSession } from '../src/core/compare/compare-session';
import { buildCompareTable } from '../src/core/compare/table';
import { applyEventChunk, insertRunRow } from '../src/core/store/run-rows';
import { RunInfoSchema, type RunEvent } from '../src/core/runs/protocol';
import { IndexStore } from '../src/core/store/database';
import { getComparison } from '../src/core/store/comparison';
import { openSqlite } from '../src/core/store/drivers';
import { readSeriesColumns } from '../src/core/store/metric-series';
import { defaultViewState } from '../src/protocol/compare';
import { launchChromium } from '../test/e2e/harness/chromium';
import type { Browser } from 'playwright-core';
import { openComparePage, openSvgBaselinePage, type ComparePage } from './compare-page';
import type { BenchResult } from './result';

/**
 * The Compare panel at scale: a 10,000-run index shown as a table in Chromium (the built webview
 * bundle under its CSP), sorted by a metric; 50 runs × 100,000 steps read by the host for one chart
 * (from the series tiers) and drawn in Chromium against the SVG chart it replaced; and 1,000 runs
 * in one chart. Needs `npm run build` (the webview bundle) and Chromium.
 */

const TABLE_RUNS = 10_000;
const CHART_RUNS = 50;
const CHART_STEPS = 100_000;
const MAX_POINTS = 2000;
const MANY_RUNS = 1000;
const MANY_STEPS = 10_000;
/** Fresh pages per renderer for the first-draw figure, alternating. */
const DRAW_ROUNDS = 3;

function runInfo(index: number, params: Record<string, string | number>) {
  const id = `01JBENCH${String(index).padStart(18, '0')}`;
  return RunInfoSchema.parse({
    version: 1,
    id,
    experiment: `exp-${index % 7}`,
    name: `run-${index}`,
    argv: ['python', 'train.py'],
    cwd: '/work/project',
    script: 'train.py',
    createdAt: new Date(Date.UTC(2025, 0, 1) + index * 60_000).toISOString(),
    git: {
      commit: (index * 2654435761).toString(16).padStart(40, '0').slice(-40),
      branch: 'main',
      dirty: false,
      remote: null,
    },
    environment: {
      os: 'Linux',
      platform: 'linux',
      arch: 'x64',
      hostname: 'bench',
      node: null,
      interpreter: null,
      interpreterVersion: null,
    },
    params,
  });
}

/** Writes runs through ingest's own row functions (no files to parse), with `steps` points per metric. */
function fillIndex(
  store: IndexStore,
  runs: number,
  keys: string[],
  steps: number,
  paramsOf: (i: number) => Record<string, string | number>,
): string[] {
  const ids: string[] = [];
  for (let i = 0; i < runs; i++) {
    const info = runInfo(i, paramsOf(i));
    insertRunRow(store, info);
    ids.push(info.id);
    let offset = 0;
    const chunk = 20_000;
    for (let from = 0; from < steps; from += chunk) {
      const events: RunEvent[] = [];
      for (let step = from; step < Math.min(steps, from + chunk); step++) {
        for (const key of keys) {
          const value =
            key === 'loss'
              ? 2 * Math.exp(-step / (steps / 5)) + ((((i * 7919) % 100) + 37) % 100) / 1000 + 0.01 * Math.sin(step)
              : 0.5 + ((i * 104729) % 500) / 1000;
          events.push({ type: 'metric', key, value, step, ts: 1_735_689_600 + i * 60 + step * 0.01 });
        }
      }
      applyEventChunk(store, info.id, offset, { events, nextOffset: offset + 1, malformed: 0 });
      offset += 1;
    }
  }
  return ids;
}

/**
 * Runs in the page (a string, so the test runner's transpiler adds no helpers to it): posts the snapshot
 * or clicks the loss header, then waits for the first row to change and for the next frame to paint.
 */
const MEASURE_IN_PAGE = `async (what) => {
  const app = document.querySelector('trackside-compare');
  const tableRoot = () => app.shadowRoot.querySelector('trackside-table-panel')?.shadowRoot
    ?.querySelector('trackside-runs-table')?.shadowRoot ?? null;
  const firstRowId = () => tableRoot()?.querySelector('.row')?.getAttribute('data-run-id') ?? null;
  const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve(null)));
  const before = firstRowId();
  const start = performance.now();
  if (what === 'paint') window.postMessage(window.__snapshot, '*');
  else tableRoot().querySelector('.th[data-column="metric:loss"] .label').click();
  for (;;) {
    await frame();
    const now = firstRowId();
    if (now !== null && now !== before) break;
    if (performance.now() - start > 30000) throw new Error(what + ': the table did not change');
  }
  await frame();
  return performance.now() - start;
}`;

async function measureInPage(page: ComparePage['page'], action: 'paint' | 'sort'): Promise<number> {
  return (await page.evaluate(`(${MEASURE_IN_PAGE})(${JSON.stringify(action)})`)) as number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function benchTable(dir: string): Promise<BenchResult[]> {
  const store = IndexStore.open(join(dir, 'table.db'));
  try {
    const ids = fillIndex(store, TABLE_RUNS, ['loss', 'accuracy'], 3, (i) => ({
      lr: [0.1, 0.03, 0.01, 0.003, 0.001][i % 5] as number,
      batch_size: [32, 64, 128][i % 3] as number,
      optimizer: i % 2 === 0 ? 'adam' : 'sgd',
      seed: i,
    }));
    const hostStart = performance.now();
    const table = buildCompareTable(getComparison(store, ids));
    const hostMs = performance.now() - hostStart;
    const browser = await launchChromium();
    try {
      const paints: number[] = [];
      const sorts: number[] = [];
      for (let attempt = 0; attempt < 3; attempt++) {
        const view = await openComparePage(browser);
        await view.page.evaluate(
          (snapshot) => {
            (window as unknown as { __snapshot: unknown }).__snapshot = snapshot;
          },
          { type: 'table', mode: 'compare', table },
        );
        paints.push(await measureInPage(view.page, 'paint'));
        for (let i = 0; i < 2; i++) sorts.push(await measureInPage(view.page, 'sort'));
        await view.page.close();
      }
      const paint = median(paints);
      const sort = median(sorts);
      return [
        {
          name: `compare table: host builds ${TABLE_RUNS.toLocaleString('en-US')} rows from the index`,
          value: Math.round(hostMs),
          unit: 'ms',
          baseline: null,
          ratio: null,
          goal: '—',
          pass: true,
        },
        {
          name: `compare table: first paint of ${TABLE_RUNS.toLocaleString('en-US')} runs in Chromium (message → painted)`,
          value: Math.round(paint),
          unit: 'ms',
          baseline: null,
          ratio: null,
          goal: '≤ 500 ms',
          pass: paint <= 500,
        },
        {
          name: `compare table: sort ${TABLE_RUNS.toLocaleString('en-US')} runs by a metric (click → painted)`,
          value: Math.round(sort),
          unit: 'ms',
          baseline: null,
          ratio: null,
          goal: '≤ 100 ms',
          pass: sort <= 100,
        },
      ];
    } finally {
      await browser.close();
    }
  } finally {
    store.close();
  }
}

/** Posts the prepared series answer and waits until the chart says it has drawn, plus one frame. */
const DRAW_IN_PAGE = `async () => {
  const chart = () => document.querySelector('trackside-compare')?.shadowRoot
    ?.querySelector('trackside-charts-panel')?.shadowRoot?.querySelector('trackside-metric-chart') ?? null;
  const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve(null)));
  const before = chart()?.dataset.drawn;
  const start = performance.now();
  window.postMessage(window.__series, '*');
  while (chart()?.dataset.drawn === before) {
    await frame();
    if (performance.now() - start > 60000) throw new Error('the chart was not drawn');
  }
  await frame();
  return performance.now() - start;
}`;

type SeriesMessage = { type: 'series' } & ReturnType<CompareSession['series']>;

/**
 * Opens the Compare webview on the Charts tab for `ids` (all selected, so none is left out), and
 * returns the page with the series request its chart sent.
 */
async function chartPage(browser: Browser, session: CompareSession, ids: string[]) {
  const state = { ...defaultViewState('compare', ids), tab: 'charts' as const, selection: ids };
  const view = await openComparePage(browser, state);
  await view.post({ type: 'table', mode: 'compare', table: session.loadTable() });
  await view.page.waitForFunction(() =>
    (window as unknown as { __sent: { type: string }[] }).__sent.some((m) => m.type === 'requestSeries'),
  );
  const asked = (await view.sent()).find((m) => m.type === 'requestSeries') as unknown as {
    requestId: number;
    view: { maxPoints: number };
  };
  return { view, asked };
}

/** Milliseconds from posting `message` to the chart drawn (and one frame), in a page that asked for it. */
async function drawInPage(view: ComparePage, message: SeriesMessage): Promise<number> {
  await view.page.evaluate((m) => {
    (window as unknown as { __series: unknown }).__series = m;
  }, message);
  return (await view.page.evaluate(`(${DRAW_IN_PAGE})()`)) as number;
}

interface DrawTimes {
  canvasFirst: number;
  canvasAgain: number;
  svgFirst: number;
  svgAgain: number;
}

/**
 * The chart's draw of `message` against the SVG chart's, each in fresh pages (the first draw of a
 * panel, with vega's code not yet warm) and again in the same page (a redraw), medians of rounds
 * that alternate the two so neither always runs on a busier machine.
 */
async function drawTimes(browser: Browser, session: CompareSession, ids: string[], message: SeriesMessage) {
  const labels = Object.fromEntries(session.loadTable().rows.map((r) => [r.id, r.name]));
  const times = { canvasFirst: [], canvasAgain: [], svgFirst: [], svgAgain: [] } as Record<keyof DrawTimes, number[]>;
  for (let round = 0; round < DRAW_ROUNDS; round++) {
    const { view, asked } = await chartPage(browser, session, ids);
    const ours = { ...message, requestId: asked.requestId };
    times.canvasFirst.push(await drawInPage(view, ours));
    times.canvasAgain.push(await drawInPage(view, ours));
    await view.page.close();
    const baseline = await openSvgBaselinePage(browser);
    times.svgFirst.push(await baseline.draw(message, labels));
    times.svgAgain.push(await baseline.draw(message, labels));
    await baseline.page.close();
  }
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])) as unknown as DrawTimes;
}

/**
 * Bytes of the index with and without its tiers: the index is vacuumed into a copy, and the copy
 * vacuumed again without the tier table, so both sizes are of compacted files.
 */
function indexSizes(store: IndexStore, dir: string): { withTiers: number; withoutTiers: number } {
  const copy = join(dir, 'size-copy.db');
  store.db.exec(`VACUUM INTO '${copy.replace(/'/g, "''")}'`);
  const withTiers = statSync(copy).size;
  const db = openSqlite(copy);
  try {
    db.exec('DROP TABLE metric_tiers');
    db.exec('VACUUM');
  } finally {
    db.close();
  }
  const withoutTiers = statSync(copy).size;
  rmSync(copy, { force: true });
  return { withTiers, withoutTiers };
}

const steps = (n: number) => n.toLocaleString('en-US');

async function benchChart(dir: string, browser: Browser): Promise<BenchResult[]> {
  const store = IndexStore.open(join(dir, 'chart.db'));
  try {
    const ids = fillIndex(store, CHART_RUNS, ['loss'], CHART_STEPS, (i) => ({ lr: 0.001 * (i + 1) }));
    const session = new CompareSession(store);
    session.setRuns(ids);
    session.loadTable();
    const request = (requestId: number, domain: [number, number] | null, smoothing = 0) => ({
      requestId,
      key: 'loss',
      runIds: ids,
      view: { axis: 'step' as const, smoothing, maxPoints: MAX_POINTS, domain },
      groupBy: null,
      live: true,
    });
    const timed = <T>(fn: () => T): [T, number] => {
      const start = performance.now();
      const value = fn();
      return [value, performance.now() - start];
    };
    const medianOf = <T>(runs: number, fn: () => T): [T, number] => {
      const results = Array.from({ length: runs }, () => timed(fn));
      return [results[0]?.[0] as T, median(results.map((r) => r[1]))];
    };
    // The baseline: every point of the 50 series read from the index (the faster of two reads).
    const everyPointMs = Math.min(
      ...[0, 1].map(() => timed(() => ids.map((id) => readSeriesColumns(store, id, 'loss')))[1]),
    );
    const zoomDomain: [number, number] = [CHART_STEPS * 0.45, CHART_STEPS * 0.55];
    const [cold, coldMs] = medianOf(5, () => session.series(request(1, null)));
    const [zoomed, zoomMs] = medianOf(5, () => session.series(request(2, zoomDomain)));
    // Smoothed lines still read every point once, then re-cut in memory.
    const [, smoothColdMs] = timed(() => session.series(request(3, null, 0.6)));
    const [smoothZoomed, smoothZoomMs] = timed(() => session.series(request(4, zoomDomain, 0.6)));
    const largest = Math.max(...[cold, zoomed, smoothZoomed].flatMap((answer) => answer.lines.map((l) => l.x.length)));
    const message: SeriesMessage = { type: 'series', ...cold };
    const payloadBytes = Buffer.byteLength(JSON.stringify(message));
    const sizes = indexSizes(store, dir);
    const growth = sizes.withTiers / sizes.withoutTiers - 1;
    const draw = await drawTimes(browser, session, ids, message);
    const size = `${CHART_RUNS} runs × ${steps(CHART_STEPS)} steps`;
    return [
      {
        name: `chart ${size}: host reads the first view from the tiers (vs reading every point)`,
        value: Math.round(coldMs),
        unit: 'ms',
        baseline: Math.round(everyPointMs),
        ratio: coldMs / everyPointMs,
        goal: 'ratio ≤ 0.05',
        pass: coldMs / everyPointMs <= 0.05,
      },
      {
        name: `chart ${size}: host reads a zoom to 10% of the steps (vs reading every point)`,
        value: Math.round(zoomMs),
        unit: 'ms',
        baseline: Math.round(everyPointMs),
        ratio: zoomMs / everyPointMs,
        goal: 'ratio ≤ 0.1',
        pass: zoomMs / everyPointMs <= 0.1,
      },
      {
        name: `chart ${size}: index size with the series tiers (vs without them)`,
        value: Number((sizes.withTiers / 2 ** 20).toFixed(1)),
        unit: 'MiB',
        baseline: Number((sizes.withoutTiers / 2 ** 20).toFixed(1)),
        ratio: 1 + growth,
        goal: '≤ 15% larger',
        pass: growth <= 0.15,
      },
      {
        name: `chart ${size}: smoothed lines, first view (reads every point)`,
        value: Math.round(smoothColdMs),
        unit: 'ms',
        baseline: null,
        ratio: null,
        goal: '—',
        pass: true,
      },
      {
        name: `chart ${size}: smoothed lines, zoom (held in memory)`,
        value: Math.round(smoothZoomMs),
        unit: 'ms',
        baseline: null,
        ratio: null,
        goal: '≤ 300 ms',
        pass: smoothZoomMs <= 300,
      },
      {
        name: 'chart: most points in one downsampled series',
        value: largest,
        unit: 'points',
        baseline: CHART_STEPS,
        ratio: largest / CHART_STEPS,
        goal: `≤ ${MAX_POINTS}`,
        pass: largest <= MAX_POINTS,
      },
      {
        name: `chart: payload of ${CHART_RUNS} downsampled series`,
        value: Math.round(payloadBytes / 1024),
        unit: 'KiB',
        baseline: null,
        ratio: null,
        goal: '—',
        pass: true,
      },
      {
        name: `chart: first draw of ${CHART_RUNS} × ${MAX_POINTS} points in Chromium, canvas (vs the SVG chart, median of ${DRAW_ROUNDS} fresh pages)`,
        value: Math.round(draw.canvasFirst),
        unit: 'ms',
        baseline: Math.round(draw.svgFirst),
        ratio: draw.canvasFirst / draw.svgFirst,
        goal: 'ratio ≤ 0.3',
        pass: draw.canvasFirst / draw.svgFirst <= 0.3,
      },
      {
        name: `chart: redraw of ${CHART_RUNS} × ${MAX_POINTS} points in Chromium, canvas (vs the SVG chart)`,
        value: Math.round(draw.canvasAgain),
        unit: 'ms',
        baseline: Math.round(draw.svgAgain),
        ratio: draw.canvasAgain / draw.svgAgain,
        goal: 'ratio ≤ 0.3',
        pass: draw.canvasAgain / draw.svgAgain <= 0.3,
      },
    ];
  } finally {
    store.close();
  }
}

/** 1,000 runs in one chart, every one drawn: the host's answer and the draw in Chromium. */
async function benchManyRuns(dir: string, browser: Browser, fiftyRunsDrawMs: number): Promise<BenchResult[]> {
  const store = IndexStore.open(join(dir, 'many.db'));
  try {
    const ids = fillIndex(store, MANY_RUNS, ['loss'], MANY_STEPS, (i) => ({ lr: 0.0001 * (i + 1) }));
    const session = new CompareSession(store);
    session.setRuns(ids);
    const { view, asked } = await chartPage(browser, session, ids);
    const request = { requestId: asked.requestId, key: 'loss', runIds: ids, groupBy: null, live: true };
    const start = performance.now();
    const answer = session.series({
      ...request,
      view: { axis: 'step', smoothing: 0, maxPoints: asked.view.maxPoints, domain: null },
    });
    const hostMs = performance.now() - start;
    const points = answer.lines.reduce((sum, line) => sum + line.x.length, 0);
    const drawMs = await drawInPage(view, { type: 'series', ...answer });
    await view.page.close();
    const size = `${steps(MANY_RUNS)} runs × ${steps(MANY_STEPS)} steps`;
    return [
      {
        name: `chart ${size}, every run drawn: host answer (${steps(points)} points for ${asked.view.maxPoints} px)`,
        value: Math.round(hostMs),
        unit: 'ms',
        baseline: null,
        ratio: null,
        goal: '—',
        pass: answer.lines.length === MANY_RUNS,
      },
      {
        name: `chart ${size}, every run drawn: message → drawn in Chromium (vs ${CHART_RUNS} runs × ${MAX_POINTS} points)`,
        value: Math.round(drawMs),
        unit: 'ms',
        baseline: Math.round(fiftyRunsDrawMs),
        ratio: drawMs / fiftyRunsDrawMs,
        goal: '≤ 3,000 ms',
        pass: drawMs <= 3000,
      },
    ];
  } finally {
    store.close();
  }
}

export async function benchCompare(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'trackside-bench-compare-'));
  try {
    const table = await benchTable(dir);
    const browser = await launchChromium();
    try {
      const chart = await benchChart(dir, browser);
      rmSync(join(dir, 'chart.db'), { force: true });
      const firstDraw = chart.find((r) => r.name.startsWith('chart: first draw'))?.value ?? Number.NaN;
      return [...table, ...chart, ...(await benchManyRuns(dir, browser, firstDraw))];
    } finally {
      await browser.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// `node --import tsx bench/compare.ts` runs this benchmark alone.
if (process.argv[1] && /bench[\\/]compare\.ts$/.test(process.argv[1])) {
  benchCompare()
    .then((results) => {
      for (const r of results)
        process.stdout.write(
          `${r.name}: ${r.value} ${r.unit}${r.baseline === null ? '' : ` vs ${r.baseline} ${r.unit} (ratio ${r.ratio?.toFixed(3)})`} (goal ${r.goal}: ${r.pass ? 'pass' : 'FAIL'})\n`,
        );
    })
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    });
}
