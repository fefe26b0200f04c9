import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import type { CompareNotification, CompareViewState } from '../src/protocol/compare';

const ORIGIN = 'https://trackside-webview.invalid';
const distWebview = join(__dirname, '..', 'dist', 'webview');
const NONCE = 'bench-nonce';
const CSP = [
  "default-src 'none'",
  `img-src ${ORIGIN} data: blob:`,
  `font-src ${ORIGIN}`,
  `style-src ${ORIGIN}`,
  `script-src 'nonce-${NONCE}'`,
].join('; ');

/**
 * The built Compare webview bundle in a plain Chromium page, under the panel's CSP, with a small
 * stand-in for VS Code's `acquireVsCodeApi` (messages to the host are recorded; messages from the
 * host are posted to the window as VS Code does). Run `npm run build` first.
 */
export interface ComparePage {
  page: Page;
  /** Posts a host notification to the webview. */
  post(notification: CompareNotification): Promise<void>;
  /** Commands the webview has sent so far. */
  sent(): Promise<{ type: string; [key: string]: unknown }[]>;
}

export async function openComparePage(browser: Browser, state: CompareViewState | null = null): Promise<ComparePage> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const nonce = NONCE;
  const csp = CSP;
  const standIn = `
    window.__sent = [];
    let saved = ${JSON.stringify(state)};
    window.acquireVsCodeApi = () => ({
      postMessage: (m) => window.__sent.push(m),
      getState: () => saved,
      setState: (s) => { saved = s; },
    });`;
  const html = `<!DOCTYPE html><html><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<link rel="stylesheet" href="${ORIGIN}/theme.css"><link rel="stylesheet" href="${ORIGIN}/vega.css"></head>
<body class="vscode-dark">
<script nonce="${nonce}">${standIn}</script>
<script type="module" nonce="${nonce}" src="${ORIGIN}/compare.js"></script>
</body></html>`;
  await page.route(`${ORIGIN}/**`, async (route) => {
    const path = new URL(route.request().url()).pathname.slice(1);
    if (path === '' || path === 'index.html') {
      await route.fulfill({ contentType: 'text/html', body: html });
      return;
    }
    const type = path.endsWith('.js')
      ? 'text/javascript'
      : path.endsWith('.css')
        ? 'text/css'
        : 'application/octet-stream';
    await route.fulfill({ contentType: type, body: readFileSync(join(distWebview, path)) });
  });
  await page.goto(`${ORIGIN}/index.html`);
  await page.waitForFunction(() =>
    (window as unknown as { __sent: { type: string }[] }).__sent.some((m) => m.type === 'ready'),
  );
  return {
    page,
    post: (notification) =>
      page.evaluate((n) => {
        window.postMessage(n, '*');
      }, notification),
    sent: () => page.evaluate(() => (window as unknown as { __sent: { type: string }[] }).__sent),
  };
}

/**
 * The chart as it was drawn before lines went to a canvas, for the draw benchmark's baseline: the
 * same series as one vega-lite line mark with a datum per point (the spec the chart used, with the
 * same lean compilation), rendered by vega's SVG renderer through the same embed options, under
 * the same CSP. Bundled here from the repository's own modules.
 */
const SVG_BASELINE_ENTRY = `
import { leanVegaSpec } from './webview/compare/chart-specs';
import { drawChart } from './webview/shared/vega-chart';

window.drawSvgBaseline = async (answer, labels) => {
  const element = document.createElement('div');
  element.style.width = '650px';
  document.body.replaceChildren(element);
  const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve(null)));
  const start = performance.now();
  const values = [];
  for (const line of answer.lines) {
    const run = labels[line.runId] ?? line.runId;
    for (let i = 0; i < line.x.length; i++) values.push({ run, x: line.x[i], y: line.y[i] });
  }
  const runNames = Object.values(labels);
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 'container',
    height: 260,
    autosize: { type: 'fit-x', contains: 'padding' },
    data: { name: 'lines', values },
    params: [{ name: 'zoom', select: { type: 'interval', encodings: ['x'] }, bind: 'scales' }],
    mark: { type: 'line', strokeWidth: 1.5, clip: true, invalid: 'show', aria: false, tooltip: { expr: 'datum' } },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: 'step' },
      y: { field: 'y', type: 'quantitative', title: answer.key, scale: { zero: false } },
      color: { field: 'run', type: 'nominal', title: 'run', scale: { domain: runNames }, legend: runNames.length > 20 ? null : {} },
    },
  };
  const result = await drawChart(element, leanVegaSpec(spec), 'vega');
  await frame();
  const ms = performance.now() - start;
  result.finalize();
  return ms;
};
`;

export interface SvgBaselinePage {
  page: Page;
  /** Draws a series answer as the SVG chart did; milliseconds to drawn and the next frame. */
  draw(answer: unknown, labels: Record<string, string>): Promise<number>;
}

export async function openSvgBaselinePage(browser: Browser): Promise<SvgBaselinePage> {
  const bundle = await build({
    stdin: { contents: SVG_BASELINE_ENTRY, resolveDir: join(__dirname, '..'), loader: 'js' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0]?.text ?? '';
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const html = `<!DOCTYPE html><html><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<link rel="stylesheet" href="${ORIGIN}/theme.css"><link rel="stylesheet" href="${ORIGIN}/vega.css"></head>
<body class="vscode-dark"><script type="module" nonce="${NONCE}" src="${ORIGIN}/svg-baseline.js"></script></body></html>`;
  await page.route(`${ORIGIN}/**`, async (route) => {
    const path = new URL(route.request().url()).pathname.slice(1);
    if (path === 'index.html') await route.fulfill({ contentType: 'text/html', body: html });
    else if (path === 'svg-baseline.js') await route.fulfill({ contentType: 'text/javascript', body: script });
    else await route.fulfill({ contentType: 'text/css', body: readFileSync(join(distWebview, path)) });
  });
  await page.goto(`${ORIGIN}/index.html`);
  await page.waitForFunction(() => 'drawSvgBaseline' in window);
  return {
    page,
    draw: (answer, labels) =>
      page.evaluate(
        ([a, l]) =>
          (window as unknown as { drawSvgBaseline: (a: unknown, l: unknown) => Promise<number> }).drawSvgBaseline(a, l),
        [answer, labels] as const,
      ),
  };
}
