import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeploymentRecord } from '../src/core/deploy/records';
import type { LineageGraph } from '../src/core/lineage/graph';
import { loadLineageGraph } from '../src/core/lineage/load-graph';
import { JOURNAL_VERSION, MODELS_JOURNAL, journalPath, type ModelEvent } from '../src/core/models/journal';
import { syncJournals } from '../src/core/models/journal-sync';
import { applyEventChunk, insertRunRow } from '../src/core/store/run-rows';
import { PROTOCOL_VERSION, type RunEvent, type RunInfo } from '../src/core/runs/protocol';
import { IndexStore } from '../src/core/store/database';
import type { LineageNodeView, LineageNotification } from '../src/protocol/lineage';
import { chromiumPath } from '../test/e2e/harness/paths';
import { medianMs, ratioOf, type BenchResult } from './result';

/**
 * Lineage at scale: an index whose graph has 10,000 nodes (runs, commits, data versions, model
 * versions, pushes, deployments; pipelines where runs consume earlier runs' outputs), written through
 * the real ingest and journal code. Then the panel's layout and first paint of a 500-node graph in
 * Chromium, from the built bundle, with a stand-in for the editor's webview API.
 */

const RUNS = 3000;
const COMMITS = 200;
const DATASETS = 1500;
const REGISTERED = 1300;
const PUSHES = 1000;
const DEPLOYMENTS = 1400;

/** A small deterministic generator, so every bench run builds the same graph. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const hex = (prefix: string, n: number) => `${prefix}${n.toString(16)}`.padStart(64, '0').slice(-64);
const runId = (i: number) => `01BENCH${String(i).padStart(19, '0')}`;

function runInfo(i: number, rand: () => number): RunInfo {
  return {
    version: PROTOCOL_VERSION,
    id: runId(i),
    experiment: `exp-${i % 20}`,
    name: `run-${i}`,
    argv: ['python', 'train.py'],
    cwd: '/work',
    script: 'train.py',
    createdAt: new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString(),
    git: { commit: hex('c', Math.floor(rand() * COMMITS)), branch: 'main', dirty: false, remote: null, untracked: [] },
    environment: {
      os: 'Linux',
      platform: 'linux',
      arch: 'x64',
      hostname: hostname(),
      node: process.version,
      interpreter: null,
      interpreterVersion: null,
      packages: {},
    },
    params: {},
    parentRunId: null,
    placement: { kind: 'local', jobId: null, node: null },
  };
}

export function buildIndex(root: string): { store: IndexStore; deployments: DeploymentRecord[] } {
  const store = IndexStore.openWorkspace(root);
  const rand = random(42);
  for (let i = 0; i < RUNS; i++) {
    insertRunRow(store, runInfo(i, rand));
    const events: RunEvent[] = [];
    for (let k = 0; k < 2; k++) {
      const d = Math.floor(rand() * DATASETS);
      events.push({ type: 'artifact', path: `data/set-${d}.csv`, role: 'input', kind: 'dataset', sha256: hex('d', d) });
    }
    // Pipelines: each run also reads what two recent runs wrote, so lineage reaches far both ways.
    for (let k = 0; k < 2 && i > 0; k++) {
      const j = Math.max(0, i - 1 - Math.floor(rand() * 20));
      events.push({ type: 'artifact', path: `out/run-${j}.pkl`, role: 'input', kind: 'model', sha256: hex('e', j) });
    }
    events.push({ type: 'artifact', path: `out/run-${i}.pkl`, role: 'output', kind: 'model', sha256: hex('e', i) });
    applyEventChunk(store, runId(i), 0, { events, nextOffset: 1, malformed: 0 });
  }
  const at = new Date().toISOString();
  const lines: ModelEvent[] = [];
  for (let v = 0; v < REGISTERED; v++) {
    lines.push({
      v: JOURNAL_VERSION,
      type: 'registered',
      at,
      actor: 'bench',
      name: `model-${v % 50}`,
      version: Math.floor(v / 50) + 1,
      runId: runId(v * 2),
      artifactPath: `out/run-${v * 2}.pkl`,
      sha256: hex('e', v * 2),
      size: 1,
    });
  }
  for (let p = 0; p < PUSHES; p++) {
    lines.push({
      v: JOURNAL_VERSION,
      type: 'pushed',
      at,
      actor: 'bench',
      name: `model-${p % 50}`,
      version: Math.floor(p / 50) + 1,
      registry: 'localhost:5000',
      repository: `ml/model-${p % 50}`,
      tag: null,
      digest: `sha256:${hex('f', p)}`,
    });
  }
  writeFileSync(journalPath(root, MODELS_JOURNAL), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  syncJournals(store, root);
  const deployments: DeploymentRecord[] = Array.from({ length: DEPLOYMENTS }, (_, i) => ({
    id: `01DEPLOY${String(i).padStart(18, '0')}`,
    name: `api-${i}`,
    target: 'podman',
    targetKind: 'podman',
    modelName: `model-${i % 50}`,
    modelRef: `localhost:5000/ml/model-${i % 50}@sha256:${hex('f', i % PUSHES)}`,
    digest: `sha256:${hex('f', i % PUSHES)}`,
    plainHttp: true,
    status: 'ready',
    createdAt: at,
    updatedAt: at,
    events: [],
  }));
  return { store, deployments };
}

function result(name: string, ms: number, baseline: number, goalMs: number): BenchResult {
  return {
    name,
    value: Number(ms.toFixed(2)),
    unit: 'ms',
    baseline: Number(baseline.toFixed(2)),
    ratio: ratioOf(ms, baseline),
    goal: `≤ ${goalMs} ms`,
    pass: ms <= goalMs,
  };
}

/** About 500 nodes around a busy dataset, as the panel would receive them. */
export function panelSnapshot(graph: LineageGraph, size: number): Extract<LineageNotification, { type: 'snapshot' }> {
  const ids = new Set<string>();
  for (const node of graph.nodes()) {
    if (node.kind !== 'data' || !node.paths[0]?.startsWith('data/')) continue;
    ids.add(node.id);
    for (const id of graph.downstream(node.id)) {
      if (ids.size >= size) break;
      ids.add(id);
    }
    if (ids.size >= size) break;
  }
  const view = graph.subgraph(ids);
  const nodes: LineageNodeView[] = view.nodes.map((n) =>
    n.kind === 'data' ? { ...n, freshness: 'current', currentSha256: n.sha256 } : n,
  );
  return { type: 'snapshot', title: 'Lineage bench', focus: [...ids].slice(0, 1), nodes, edges: view.edges };
}

async function firstPaintMs(snapshot: object, runs: number): Promise<number> {
  const { chromium } = await import('playwright-core');
  const bundle = readFileSync(join(__dirname, '..', 'dist', 'webview', 'lineage.js'), 'utf8');
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    headless: true,
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    // The editor's webview API, stood in: the snapshot is posted when the panel says it is ready.
    const host = `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><script>
      window.acquireVsCodeApi = () => ({
        postMessage(m) { if (m.type === 'ready') setTimeout(() => window.postMessage(${JSON.stringify(snapshot)}, '*')); },
        getState() { return undefined; },
        setState() {},
      });
    </script><script type="module" src="/lineage.js"></script></body></html>`;
    await page.route('http://bench.local/**', (route) => {
      const isBundle = route.request().url().endsWith('/lineage.js');
      return route.fulfill({ contentType: isBundle ? 'text/javascript' : 'text/html', body: isBundle ? bundle : host });
    });
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      await page.goto('http://bench.local/');
      await page.waitForFunction(() => document.body.dataset.paintedNodes !== undefined, undefined, {
        timeout: 60_000,
      });
      times.push(await page.evaluate(() => performance.getEntriesByName('lineage:first-paint')[0]?.duration ?? NaN));
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)]!;
  } finally {
    await browser.close();
  }
}

export async function benchLineage(): Promise<BenchResult[]> {
  const root = mkdtempSync(join(tmpdir(), 'trackside-bench-lineage-'));
  try {
    const { store, deployments } = buildIndex(root);
    let graph = loadLineageGraph(store, deployments);
    const nodes = graph.size;
    // The first run's first dataset: everything downstream of it is most of the graph.
    const firstInput = store
      .query("SELECT sha256 FROM artifacts WHERE role = 'input' ORDER BY run_pk LIMIT 1")
      .pluck()
      .get() as string;
    const dataset = `data:${firstInput}`;
    const lastRun = `run:${runId(RUNS - 1)}`;
    // Baseline: only reading the rows the graph is built from, with no graph built.
    const readRows = medianMs(() => {
      for (const table of ['runs', 'artifacts', 'model_versions', 'model_aliases', 'model_pushes', 'tags']) {
        store.query(`SELECT * FROM ${table}`).all();
      }
    }, 7);
    const cold = medianMs(() => {
      graph = loadLineageGraph(store, deployments);
      graph.upstream(lastRun);
      graph.downstream(dataset);
    }, 7);
    const warm = medianMs(() => {
      graph.upstream(lastRun);
      graph.downstream(dataset);
    }, 25);
    const reached = graph.upstream(lastRun).size + graph.downstream(dataset).size;
    store.close();

    const big = panelSnapshot(graph, 500);
    const small = panelSnapshot(graph, 50);
    const paintBig = await firstPaintMs(big, 5);
    const paintSmall = await firstPaintMs(small, 5);
    return [
      result(
        `lineage: load ${nodes.toLocaleString('en-US')}-node graph from the index + upstream and downstream queries vs reading its rows`,
        cold,
        readRows,
        100,
      ),
      result(
        `lineage: upstream + downstream on the loaded graph (${reached} nodes reached) vs reading the rows`,
        warm,
        readRows,
        100,
      ),
      result(
        `lineage panel: dagre layout + first paint of ${big.nodes.length} nodes in Chromium vs ${small.nodes.length} nodes`,
        paintBig,
        paintSmall,
        1000,
      ),
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
