import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { CompareNotification, CompareViewState } from '../src/protocol/compare';

const ORIGIN = 'https://trackside-webview.invalid';
const distWebview = join(__dirname, '..', 'dist', 'webview');

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
  const nonce = 'bench-nonce';
  const csp = [
    "default-src 'none'",
    `img-src ${ORIGIN} data: blob:`,
    `font-src ${ORIGIN}`,
    `style-src ${ORIGIN}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
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
