import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { DeploymentNotificationSchema, type DeploymentNotification } from '../src/protocol/deployment';
import { ConsoleLog, launchChromium } from '../test/e2e/harness/chromium';
import {
  HOSTILE_FEATURES,
  sampleDeploymentView,
  sampleDriftReport,
  sampleMetricsWindows,
} from '../test/fixtures/monitoring/deployment-panel-data';

/**
 * The built Deployment webview bundle in a plain Chromium page, under the panel's CSP, with a
 * stand-in for `acquireVsCodeApi` and a few of VS Code's theme variables (dark or light), fed sample
 * data made by the real monitoring code. Run as a script, it checks what a user would notice (no CSP
 * violation or page error, charts drawn, hostile feature names shown as text, buttons sending their
 * commands) and saves screenshots:
 *
 *   npm run build && node --import tsx bench/deployment-page.ts [output.png]
 *
 * writes /tmp/deployment-panel.png (dark), /tmp/deployment-panel-light.png and
 * /tmp/deployment-panel-empty.png (no traffic yet, no canary).
 */

const ORIGIN = 'https://trackside-webview.invalid';
const distWebview = join(__dirname, '..', 'dist', 'webview');

export type Theme = 'dark' | 'light';

/** Enough of VS Code's Dark Modern and Light Modern variables for the panel and @vscode-elements. */
const THEMES: Record<Theme, Record<string, string>> = {
  dark: {
    foreground: '#cccccc',
    descriptionForeground: '#9d9d9d',
    'editor-background': '#1f1f1f',
    errorForeground: '#f85149',
    'editorWarning-foreground': '#cca700',
    'testing-iconPassed': '#73c991',
    'panel-border': '#2b2b2b',
    'editorWidget-border': '#454545',
    'badge-background': '#616161',
    'badge-foreground': '#f8f8f8',
    'button-background': '#0078d4',
    'button-foreground': '#ffffff',
    'button-hoverBackground': '#026ec1',
    'button-secondaryBackground': '#313131',
    'button-secondaryForeground': '#cccccc',
    'button-secondaryHoverBackground': '#3c3c3c',
    'button-border': '#ffffff12',
    focusBorder: '#0078d4',
    'input-background': '#313131',
    'input-foreground': '#cccccc',
    'input-border': '#3c3c3c',
    'dropdown-background': '#313131',
    'dropdown-foreground': '#cccccc',
    'dropdown-border': '#3c3c3c',
    'textLink-foreground': '#4daafc',
    'textLink-activeForeground': '#4daafc',
    'list-hoverBackground': '#2a2d2e',
    'charts-blue': '#3794ff',
    'charts-orange': '#d18616',
    'charts-green': '#89d185',
    'charts-red': '#f14c4c',
    'charts-purple': '#b180d7',
    'charts-yellow': '#cca700',
    'editorHoverWidget-background': '#202020',
    'editorHoverWidget-foreground': '#cccccc',
    'editorHoverWidget-border': '#454545',
    'textCodeBlock-background': '#2b2b2b',
    'settings-dropdownBackground': '#313131',
    'settings-dropdownForeground': '#cccccc',
    'settings-dropdownBorder': '#3c3c3c',
    'settings-dropdownListBorder': '#454545',
    'settings-textInputBackground': '#313131',
    'settings-textInputForeground': '#cccccc',
    'settings-textInputBorder': '#3c3c3c',
    'list-activeSelectionBackground': '#04395e',
    'list-activeSelectionForeground': '#ffffff',
  },
  light: {
    foreground: '#3b3b3b',
    descriptionForeground: '#616161',
    'editor-background': '#ffffff',
    errorForeground: '#f85149',
    'editorWarning-foreground': '#bf8803',
    'testing-iconPassed': '#388a34',
    'panel-border': '#e5e5e5',
    'editorWidget-border': '#c8c8c8',
    'badge-background': '#cccccc',
    'badge-foreground': '#3b3b3b',
    'button-background': '#005fb8',
    'button-foreground': '#ffffff',
    'button-hoverBackground': '#0258a8',
    'button-secondaryBackground': '#e5e5e5',
    'button-secondaryForeground': '#3b3b3b',
    'button-secondaryHoverBackground': '#cccccc',
    'button-border': '#0000001a',
    focusBorder: '#005fb8',
    'input-background': '#ffffff',
    'input-foreground': '#3b3b3b',
    'input-border': '#cecece',
    'dropdown-background': '#ffffff',
    'dropdown-foreground': '#3b3b3b',
    'dropdown-border': '#cecece',
    'textLink-foreground': '#005fb8',
    'textLink-activeForeground': '#005fb8',
    'list-hoverBackground': '#f2f2f2',
    'charts-blue': '#1a85ff',
    'charts-orange': '#d18616',
    'charts-green': '#388a34',
    'charts-red': '#e51400',
    'charts-purple': '#652d90',
    'charts-yellow': '#bf8803',
    'editorHoverWidget-background': '#f8f8f8',
    'editorHoverWidget-foreground': '#3b3b3b',
    'editorHoverWidget-border': '#c8c8c8',
    'textCodeBlock-background': '#f8f8f8',
    'settings-dropdownBackground': '#ffffff',
    'settings-dropdownForeground': '#3b3b3b',
    'settings-dropdownBorder': '#cecece',
    'settings-dropdownListBorder': '#c8c8c8',
    'settings-textInputBackground': '#ffffff',
    'settings-textInputForeground': '#3b3b3b',
    'settings-textInputBorder': '#cecece',
    'list-activeSelectionBackground': '#e8e8e8',
    'list-activeSelectionForeground': '#000000',
  },
};

function themeCss(theme: Theme): string {
  const vars = Object.entries(THEMES[theme]).map(([name, value]) => `  --vscode-${name}: ${value};`);
  return `:root {\n${vars.join('\n')}
  --vscode-font-family: system-ui, 'Ubuntu', 'Droid Sans', sans-serif;
  --vscode-font-size: 13px;
  --vscode-font-weight: normal;
  --vscode-editor-font-family: 'Droid Sans Mono', monospace;
  --vscode-editor-font-size: 13px;
}\n`;
}

export interface DeploymentPage {
  page: Page;
  post(notification: DeploymentNotification): Promise<void>;
  sent(): Promise<{ type: string; [key: string]: unknown }[]>;
  console: ConsoleLog;
}

export async function openDeploymentPage(browser: Browser, theme: Theme = 'dark'): Promise<DeploymentPage> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const log = new ConsoleLog(page);
  const nonce = 'page-nonce';
  const csp = [
    "default-src 'none'",
    `img-src ${ORIGIN} data: blob:`,
    `font-src ${ORIGIN}`,
    `style-src ${ORIGIN}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  const standIn = `
    window.__sent = [];
    let saved = null;
    window.acquireVsCodeApi = () => ({
      postMessage: (m) => window.__sent.push(m),
      getState: () => saved,
      setState: (s) => { saved = s; },
    });`;
  const html = `<!DOCTYPE html><html><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<link rel="stylesheet" href="${ORIGIN}/theme-vars.css">
<link rel="stylesheet" href="${ORIGIN}/theme.css"><link rel="stylesheet" href="${ORIGIN}/vega.css"></head>
<body class="vscode-${theme}">
<script nonce="${nonce}">${standIn}</script>
<script type="module" nonce="${nonce}" src="${ORIGIN}/deployment.js"></script>
</body></html>`;
  await page.route(`${ORIGIN}/**`, async (route) => {
    const path = new URL(route.request().url()).pathname.slice(1);
    if (path === '' || path === 'index.html') {
      await route.fulfill({ contentType: 'text/html', body: html });
      return;
    }
    if (path === 'theme-vars.css') {
      await route.fulfill({ contentType: 'text/css', body: themeCss(theme) });
      return;
    }
    const type = path.endsWith('.js') ? 'text/javascript' : path.endsWith('.css') ? 'text/css' : 'text/plain';
    await route.fulfill({ contentType: type, body: readFileSync(join(distWebview, path)) });
  });
  await page.goto(`${ORIGIN}/index.html`);
  await page.waitForFunction(() =>
    (window as unknown as { __sent: { type: string }[] }).__sent.some((m) => m.type === 'ready'),
  );
  return {
    page,
    console: log,
    post: async (notification) => {
      // What the host sends must pass the webview's own parse: check it here, where a failure is loud.
      DeploymentNotificationSchema.parse(notification);
      await page.evaluate((n) => window.postMessage(n, '*'), notification);
    },
    sent: () => page.evaluate(() => (window as unknown as { __sent: { type: string }[] }).__sent),
  };
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

async function chartsDrawn(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      const app = document.querySelector('trackside-deployment');
      const charts = app?.shadowRoot?.querySelectorAll<HTMLElement>('trackside-traffic-chart') ?? [];
      return charts.length === 3 && [...charts].every((c) => Number(c.dataset.points) > 0);
    },
    undefined,
    { timeout: 30_000 },
  );
}

async function screenshotFull(page: Page, path: string): Promise<void> {
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: 1200, height: Math.min(4000, Math.max(900, height)) });
  await page.screenshot({ path, fullPage: true });
}

async function populated(browser: Browser, theme: Theme, output: string): Promise<void> {
  const view = await openDeploymentPage(browser, theme);
  const { page } = view;
  await view.post({ type: 'deployment', deployment: sampleDeploymentView(true) });
  await view.post({ type: 'metrics', windows: sampleMetricsWindows() });
  await view.post({ type: 'drift', report: sampleDriftReport(), since: null });
  await chartsDrawn(page);

  // Hostile names are text: no element was made of them, and each sits on one line with its title.
  const cells = await page.evaluate(() => {
    const drift = document
      .querySelector('trackside-deployment')
      ?.shadowRoot?.querySelector('trackside-drift-section')?.shadowRoot;
    const rows = [...(drift?.querySelectorAll<HTMLTableRowElement>('tbody tr') ?? [])];
    return {
      scripts: drift?.querySelectorAll('script').length ?? -1,
      names: rows.map((r) => {
        const cell = r.querySelector<HTMLElement>('td.name')!;
        return { text: cell.textContent, title: cell.title, height: r.getBoundingClientRect().height };
      }),
      title: document.title,
    };
  });
  check(cells.scripts === 0, 'a feature name became a <script> element');
  check(cells.title !== 'pwned', 'a feature name ran as a script');
  for (const name of HOSTILE_FEATURES) {
    const cell = cells.names.find((c) => c.text === name);
    check(cell !== undefined && cell.title === name, `feature ${JSON.stringify(name)} is not shown as text`);
    check(cell!.height < 60, `the row of ${JSON.stringify(name)} is ${cell!.height}px high: the name wrapped`);
  }
  await screenshotFull(page, output);

  // Hovering a chart shows the nearest window's values.
  const plot = page.locator('.plot[data-metric="latency"] svg').first();
  const box = await plot.boundingBox();
  check(box !== null, 'the latency chart has no drawing');
  await page.mouse.move(box!.x + box!.width * 0.8, box!.y + box!.height * 0.4);
  const tooltip = page.locator('#vg-tooltip-element');
  await tooltip.waitFor({ state: 'visible', timeout: 5000 });
  const tip = await tooltip.innerText();
  check(/ms/.test(tip) && /digits-logreg/.test(tip), `the latency tooltip says: ${tip}`);
  await page.screenshot({
    path: output.replace(/\.png$/, '-hover.png'),
    clip: { x: 780, y: 200, width: 420, height: 320 },
  });

  // Every button sends its command.
  const click = (selector: string, text: string) =>
    page.locator(selector).getByText(text, { exact: true }).first().click();
  await click('trackside-deployment', 'Promote');
  await click('trackside-deployment', 'Roll Back');
  await click('trackside-deployment', 'Set Split…');
  await page.locator('#canary-share input').fill('35');
  await click('trackside-deployment', 'Apply');
  await click('trackside-drift-section', 'Refresh');
  await click('trackside-drift-section', 'Retrain on New Data');
  await click('trackside-drift-section', 'Export JSON');
  await page.locator('trackside-drift-section button.link').click();
  const sent = (await view.sent()).map((m) => JSON.stringify(m));
  for (const expected of [
    { type: 'promote' },
    { type: 'rollback' },
    { type: 'setSplit', percent: 35 },
    { type: 'refreshDrift', since: null },
    { type: 'retrain' },
    { type: 'exportReport' },
    { type: 'openReference' },
  ]) {
    check(sent.includes(JSON.stringify(expected)), `${JSON.stringify(expected)} was not sent: ${sent.join(' ')}`);
  }
  const problems = [...view.console.cspViolations(), ...view.console.messages.filter((m) => m.type === 'pageerror')];
  check(problems.length === 0, `the page reported:\n${ConsoleLog.format(problems)}`);
  await page.close();
}

async function empty(browser: Browser, output: string): Promise<void> {
  const view = await openDeploymentPage(browser, 'dark');
  await view.post({ type: 'deployment', deployment: sampleDeploymentView(false) });
  await view.post({ type: 'metrics', windows: [] });
  await view.post({ type: 'driftPending', since: '6h' });
  const text = await view.page.locator('trackside-deployment .empty').innerText();
  check(text.includes('http://127.0.0.1:18080/v2/models/digits/infer'), `the empty state says: ${text}`);
  await screenshotFull(view.page, output);
  await view.page.close();
}

async function main(): Promise<void> {
  const output = process.argv[2] ?? '/tmp/deployment-panel.png';
  const browser = await launchChromium();
  try {
    await populated(browser, 'dark', output);
    await populated(browser, 'light', output.replace(/\.png$/, '-light.png'));
    await empty(browser, output.replace(/\.png$/, '-empty.png'));
  } finally {
    await browser.close();
  }
  console.log(`Deployment panel checked; screenshots in ${output.replace(/\.png$/, '*.png')}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
