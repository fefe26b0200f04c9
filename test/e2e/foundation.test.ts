import assert from 'node:assert/strict';
import { after } from 'node:test';
import { decayingCurve, writeFinishedRun } from './fixtures/run-folder';
import { copyDemoWorkspace } from './fixtures/workspace';
import { ConsoleLog } from './harness/chromium';
import { vscodeFlavor } from './harness/paths';
import { workbenchSuite } from './harness/suite';
import { stepTimeout } from './harness/workbench';
import { eventually } from '../fixtures/polling';

// The journey of a first-time user: the extension is there, its sidebar greets them, and the first
// panel draws the newest run's metrics from the run folder under the webview's strict CSP.

const workspace = copyDemoWorkspace();
const runName = 'baseline-lr-0.01';
after(() => workspace.dispose());

const suite = workbenchSuite('foundation', () => ({ workspace: workspace.path }));

suite.test(
  'the workbench loads with Trackside in the activity bar',
  async ({ workbench }) => {
    await workbench.open();
    // Absent when the extension is not installed or failed to load its manifest.
    await workbench.activityBarItem('Trackside').waitFor({ timeout: stepTimeout });
  },
  { compat: true },
);

suite.test(
  'the Trackside container shows the Experiments view with its welcome',
  async ({ workbench }) => {
    const body = await workbench.openView('Trackside', 'Experiments');
    const runButton = body.getByRole('button', { name: 'Run Current File' });
    await runButton.waitFor({ timeout: stepTimeout });
    assert.match(await body.innerText(), /No runs in this workspace yet/);
    await workbench.screenshot('foundation-sidebar');
  },
  { compat: true },
);

suite.test(
  '"Show Latest Run Metrics" opens the run view of the newest run with its charts',
  async ({ workbench }) => {
    // Written now, not before the window opened: the sidebar's first-run welcome above is for a workspace without runs.
    writeFinishedRun(workspace.path, {
      experiment: 'digits',
      name: runName,
      params: { lr: 0.01, epochs: 40 },
      metrics: { loss: decayingCurve(40), accuracy: decayingCurve(40, 0.1, 0.95) },
    });
    await workbench.runCommand('Trackside: Show Latest Run Metrics');
    const view = workbench.webviewFrame();

    // The newest run's view (the Compare panel's run view), filled from the index by the host.
    await view.getByRole('heading', { name: runName }).waitFor({ timeout: stepTimeout });
    const metrics = view.locator('trackside-run-view section[aria-label="Metrics"]');
    assert.match(await metrics.innerText(), /loss/);
    assert.match(await metrics.innerText(), /accuracy/);

    // One chart per logged metric, each a line stroked on its canvas from the series the host sent,
    // across the plot (40 steps from 0): its drawn pixels span most of the canvas' width.
    const canvases = view.locator('trackside-run-view trackside-metric-chart canvas.lines');
    const spans = await eventually(
      'a drawn line in each chart',
      async () => {
        const drawn = await canvases
          .evaluateAll((elements) =>
            (elements as HTMLCanvasElement[]).map((canvas) => {
              if (canvas.width === 0 || canvas.hidden) return 0;
              const { data, width, height } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
              let left = width;
              let right = -1;
              for (let y = 0; y < height; y++) {
                for (let x = 0; x < width; x++) {
                  if ((data[(y * width + x) * 4 + 3] as number) < 128) continue;
                  left = Math.min(left, x);
                  right = Math.max(right, x);
                }
              }
              return right < 0 ? 0 : (right - left + 1) / width;
            }),
          )
          .catch(() => [] as number[]);
        return drawn.length >= 2 && drawn.every((span) => span > 0.8) ? drawn : null;
      },
      stepTimeout,
    );
    assert.ok(spans.length >= 2, 'a line for loss and one for accuracy');
    await workbench.screenshot('foundation-latest-run');
  },
  { compat: true },
);

// node:sqlite in the current VS Code (Node 24), the shipped better-sqlite3 addon in VS Code 1.100 (Node 20).
const driver = vscodeFlavor() === 'minimum' ? 'better-sqlite3' : 'node:sqlite';

suite.test(
  `the index opens with ${driver} in this VS Code, as "Trackside: Show Log" reports`,
  async ({ workbench }) => {
    await workbench.runCommand('Trackside: Show Log');
    // Monaco renders spaces as no-break spaces: \s matches both.
    const driverLine = new RegExp(`Index\\sdriver:\\s${driver}\\s\\(SQLite\\s3\\.\\d+\\.\\d+\\)\\son\\sNode\\s`);
    // The log follows its end, and the driver is among its first lines: scrolled to the top, as a user would.
    const lines = workbench.panelEditorLines();
    await lines.click();
    await workbench.page.keyboard.press('Control+Home');
    await lines.filter({ hasText: driverLine }).waitFor({ timeout: stepTimeout });
    // The views and commands that asked for the index while it opened shared one opening.
    const ready = lines.locator('.view-line').filter({ hasText: /Index\sof\sdemo\sready\sin\s/ });
    assert.equal(await ready.count(), 1, 'the index is reported ready once');
    await workbench.screenshot('foundation-show-log');
    const errors = (await workbench.notifications()).filter((text) => text.includes('Trackside'));
    assert.deepEqual(errors, [], 'no Trackside notification (such as a driver that fails to load) is shown');
  },
  { compat: true },
);

suite.test(
  'the browser console shows no Content Security Policy violation',
  async ({ console: consoleLog }) => {
    const violations = consoleLog.cspViolations();
    assert.deepEqual(violations, [], `CSP violations:\n${ConsoleLog.format(violations)}`);
  },
  { compat: true },
);

// Keeps the previous check honest: a violation inside the webview does reach the console log.
suite.test(
  'a CSP violation inside the webview is caught by the console check',
  async ({ workbench, console: consoleLog }) => {
    const before = consoleLog.cspViolations().length;
    await workbench
      .webviewFrame()
      .locator('body')
      .evaluate((body) => {
        const script = document.createElement('script');
        script.textContent = 'void 0';
        body.append(script);
      });
    const deadline = Date.now() + stepTimeout;
    while (consoleLog.cspViolations().length === before && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(consoleLog.cspViolations().length > before, 'an inline script without the nonce is reported');
  },
  { compat: true },
);
