import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyEventChunk, insertRunRow } from '../src/core/store/run-rows';
import type { RunEvent } from '../src/core/runs/protocol';
import { IndexStore } from '../src/core/store/database';
import { getComparison } from '../src/core/store/comparison';
import { TempWorkspace } from '../test/fixtures/run-folder-builder';
import { medianMs, ratioOf, type BenchResult } from './result';

const RUNS = 10_000;
const PARAMS = 20;
const METRICS = 10;

/**
 * The compare payload for 10,000 runs × 20 params × 10 metrics, against asking run by run (the N+1
 * shape a naive table would take). The index is filled through ingest's own row writers.
 */
export function benchComparePayload(): BenchResult[] {
  const dir = mkdtempSync(join(tmpdir(), 'trackside-bench-compare-'));
  const store = IndexStore.open(join(dir, 'index.db'));
  const builder = new TempWorkspace('trackside-bench-info-');
  try {
    const ids: string[] = [];
    const template = builder.run(0).info();
    store.transaction(() => {
      for (let r = 0; r < RUNS; r++) {
        const id = `01JBENCH${String(r).padStart(18, '0')}`;
        ids.push(id);
        const params = Object.fromEntries(Array.from({ length: PARAMS }, (_, p) => [`param_${p}`, (r * p) % 97]));
        insertRunRow(store, { ...template, id, name: `run-${r}`, params });
        const events: RunEvent[] = Array.from({ length: METRICS }, (_, m) => ({
          type: 'metric',
          key: `metric_${m}`,
          value: (r % 100) / (m + 1),
          step: 0,
          ts: 1_735_689_600 + r,
        }));
        applyEventChunk(store, id, 0, { events, nextOffset: 100, malformed: 0 });
      }
    });
    const ms = medianMs(() => getComparison(store, ids), 5);
    const perRun = [
      store.db.prepare('SELECT * FROM runs WHERE id = ?'),
      store.db.prepare('SELECT p.* FROM params p JOIN runs r ON r.pk = p.run_pk WHERE r.id = ?'),
      store.db.prepare('SELECT s.* FROM metric_summaries s JOIN runs r ON r.pk = s.run_pk WHERE r.id = ?'),
    ];
    const baseline = medianMs(() => ids.map((id) => perRun.map((s) => s.all(id))), 5);
    return [
      {
        name: 'compare payload, 10,000 runs × 20 params × 10 metrics vs per-run queries',
        value: Number(ms.toFixed(1)),
        unit: 'ms',
        baseline: Number(baseline.toFixed(1)),
        ratio: ratioOf(ms, baseline),
        goal: '≤ 200 ms',
        pass: ms <= 200,
      },
    ];
  } finally {
    store.close();
    builder.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}
