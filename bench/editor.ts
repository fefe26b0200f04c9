import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { launchChromium } from '../test/e2e/harness/chromium';
import { CodeServer } from '../test/e2e/harness/code-server';
import { repoRoot } from '../test/e2e/harness/paths';
import { IndexStore } from '../src/core/store/database';
import { listExperiments, queryRuns, summariesForRuns } from '../src/core/store/runs';
import { medianMs, ratioOf, type BenchResult } from './result';

const RUNS = 100_000;
const EXPERIMENTS = 4;
const KEYS = ['loss', 'val_loss', 'val_acc'];
/** The Experiments view's page size (src/extension/sidebar/tree.ts PAGE_SIZE). */
const PAGE = 200;

/**
 * The editor's two speed promises (issue 4): activate() does no heavy work, and the Experiments view
 * lists the first page of a 100,000-run index fast. Needs `npm run build` and code-server installed.
 */
export async function benchEditor(): Promise<BenchResult[]> {
  return [...(await activationTimes()), experimentsPage()];
}

/**
 * activate() as the extension itself logs it ("Activated in X ms" in its log channel), in a real
 * code-server window on a workspace with a `.trackside/` folder; baseline: an empty extension that
 * only creates its log channel, measured the same way in the same kind of window.
 */
async function activationTimes(): Promise<BenchResult[]> {
  const workspace = mkdtempSync(join(tmpdir(), 'trackside-bench-ws-'));
  const empty = mkdtempSync(join(tmpdir(), 'trackside-bench-empty-ext-'));
  try {
    mkdirSync(join(workspace, '.trackside', 'runs'), { recursive: true });
    // Both installed from a .vsix, as users install them (the current VS Code loads no development
    // extension into its remote extension host here).
    const vsix = join(repoRoot, 'dist', 'trackside.vsix');
    if (!existsSync(vsix)) throw new Error(`${vsix} is missing: run \`npm run package\` first`);
    const trackside = await loggedActivationMs(workspace, vsix, 'Trackside.log');
    const baseline = await loggedActivationMs(workspace, packageEmptyExtension(empty), 'Empty.log');
    return [
      {
        name: 'extension activate() in code-server (vs an empty extension)',
        value: round(trackside),
        unit: 'ms',
        baseline: round(baseline),
        ratio: ratioOf(trackside, baseline),
        goal: '≤ 50 ms',
        pass: trackside <= 50,
      },
    ];
  } finally {
    rmSync(workspace, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  }
}

/** The empty extension, packaged with the same vsce as Trackside; resolves to its .vsix. */
function packageEmptyExtension(dir: string): string {
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'empty-bench',
      publisher: 'bench',
      version: '0.0.0',
      description: 'An extension that only creates its log channel',
      license: 'MIT',
      engines: { vscode: '^1.100.0' },
      activationEvents: ['workspaceContains:.trackside'],
      main: './extension.js',
    }),
  );
  writeFileSync(join(dir, 'README.md'), '# empty-bench\n');
  writeFileSync(
    join(dir, 'extension.js'),
    `const vscode = require('vscode');
exports.activate = () => {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('Empty', { log: true });
  log.info('Activated in ' + (performance.now() - started).toFixed(1) + ' ms');
};
`,
  );
  const vsix = join(dir, 'empty-bench.vsix');
  execFileSync(
    join(repoRoot, 'node_modules', '.bin', 'vsce'),
    ['package', '--allow-missing-repository', '--skip-license', '-o', vsix],
    { cwd: dir, stdio: 'ignore' },
  );
  return vsix;
}

/** Opens the workspace with the extension of `vsix` installed and reads the activation time its log file reports. */
async function loggedActivationMs(workspace: string, vsix: string, logFile: string): Promise<number> {
  const server = await CodeServer.start({
    workspace,
    extension: { kind: 'vsix', path: vsix },
    logName: 'bench-editor.code-server',
  });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(server.workbenchUrl());
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const ms = activationFromLogs(join(server.userDataDir, 'logs'), logFile);
      if (ms !== undefined) return ms;
      await sleep(200);
    }
    throw new Error(`no "Activated in" line in ${logFile} under the code-server logs`);
  } finally {
    await browser.close();
    await server.stop();
  }
}

function activationFromLogs(dir: string, logFile: string): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      const found = activationFromLogs(path, logFile);
      if (found !== undefined) return found;
    } else if (entry === logFile) {
      const match = /Activated in ([\d.]+) ms/.exec(readFileSync(path, 'utf8'));
      if (match) return Number(match[1]);
    }
  }
  return undefined;
}

/**
 * What the Experiments view runs to list an experiment's first page (runs newest first, then their
 * metric summaries for the description) on a generated 100,000-run index; baseline: reading every
 * run row with one plain SELECT.
 */
function experimentsPage(): BenchResult {
  const dir = mkdtempSync(join(tmpdir(), 'trackside-bench-100k-'));
  try {
    const store = IndexStore.open(join(dir, 'index.db'));
    try {
      fillIndex(store);
      const firstPage = () => {
        const [experiment] = listExperiments(store);
        const page = queryRuns(store, { experiment: experiment!.name, sort: { by: 'created' }, limit: PAGE });
        return summariesForRuns(
          store,
          page.rows.map((r) => r.id),
        );
      };
      if (firstPage().length !== PAGE * KEYS.length) throw new Error('the first page lacks its summaries');
      const value = medianMs(firstPage, 15);
      const baseline = medianMs(() => store.query('SELECT * FROM runs').all(), 5);
      return {
        name: 'Experiments view: first page of a 100,000-run index (vs SELECT of all runs)',
        value: round(value),
        unit: 'ms',
        baseline: round(baseline),
        ratio: ratioOf(value, baseline),
        goal: '≤ 300 ms',
        pass: value <= 300,
      };
    } finally {
      store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** 100,000 runs over a few experiments, each with params-free rows and three metric summaries. */
function fillIndex(store: IndexStore): void {
  const db = store.db;
  const insertExperiment = db.prepare('INSERT INTO experiments(name) VALUES (?)');
  const insertKey = db.prepare('INSERT INTO metric_keys(key) VALUES (?)');
  const insertRun = db.prepare(
    `INSERT INTO runs(id, experiment_id, name, status, created_at, started_at, ended_at, exit_code, script,
       argv_json, cwd, environment_json, placement_json)
     VALUES (@id, @experiment, @name, 'finished', @created, @created, @ended, 0, 'train.py',
       '["python","train.py"]', '/ws', '{}', '{}')`,
  );
  const insertSummary = db.prepare(
    `INSERT INTO metric_summaries(run_pk, key_id, last, min, max, count, last_step, last_ts)
     VALUES (?, ?, ?, ?, ?, 100, 99, ?)`,
  );
  db.transaction(() => {
    for (let e = 1; e <= EXPERIMENTS; e++) insertExperiment.run(`experiment-${e}`);
    KEYS.forEach((key) => insertKey.run(key));
    const start = Date.UTC(2024, 0, 1);
    for (let r = 0; r < RUNS; r++) {
      const created = new Date(start + r * 60_000).toISOString();
      const { lastInsertRowid } = insertRun.run({
        id: `RUN${String(r).padStart(10, '0')}`,
        experiment: (r % EXPERIMENTS) + 1,
        name: `run-${r}`,
        created,
        ended: created,
      });
      KEYS.forEach((_, k) => {
        const value = Math.sin(r + k) + 1;
        insertSummary.run(lastInsertRowid, k + 1, value, value / 2, value * 2, start / 1000 + r * 60);
      });
    }
  });
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
