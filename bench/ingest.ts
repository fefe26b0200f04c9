import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { IndexStore } from '../src/core/store/database';
import { TempWorkspace, metricEvent } from '../test/fixtures/run-folder-builder';
import { ratioOf, type BenchResult } from './result';

const RUNS = 100;
const KEYS = Array.from({ length: 10 }, (_, i) => `metric_${i}`);
const STEPS = 1000;
const POINTS = RUNS * KEYS.length * STEPS;

/**
 * 1,000,000 metric points (100 runs × 10 keys × 1,000 steps) from events.jsonl through ingest, in a
 * child process, against a raw insert (same SQLite driver) of the same rows into the same schema in one
 * transaction (no file reading, no parsing, no summaries).
 */
export async function benchIngest(): Promise<BenchResult[]> {
  const ws = new TempWorkspace('trackside-bench-');
  try {
    for (let r = 0; r < RUNS; r++) ws.run(r).writeInfo().writeStatus().metrics(KEYS, STEPS);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', join(__dirname, 'ingest-child.ts'), ws.root],
      { maxBuffer: 1024 * 1024 },
    );
    const child = JSON.parse(stdout) as { ms: number; points: number; maxRssBytes: number };
    if (child.points !== POINTS) throw new Error(`ingest stored ${child.points} points, expected ${POINTS}`);
    const ingestBytes = statSync(join(ws.root, '.trackside', 'index.db')).size;

    const raw = rawInsert(ws.root);
    const ingestRate = POINTS / (child.ms / 1000);
    const rawRate = POINTS / (raw.ms / 1000);
    const ingestRatio = ratioOf(ingestRate, rawRate);
    const bytesPerPoint = ingestBytes / POINTS;
    const rawBytesPerPoint = raw.bytes / POINTS;
    const rssMb = child.maxRssBytes / 1024 / 1024;
    return [
      {
        name: 'ingest 1M points (100 runs × 10 keys × 1,000 steps) vs raw insert',
        value: Math.round(ingestRate),
        unit: 'points/s',
        baseline: Math.round(rawRate),
        ratio: ingestRatio,
        goal: 'ratio ≥ 0.7',
        pass: (ingestRatio ?? 0) >= 0.7,
      },
      {
        name: 'ingest peak RSS (child process)',
        value: Math.round(rssMb),
        unit: 'MB',
        baseline: null,
        ratio: null,
        goal: '≤ 200 MB',
        pass: rssMb <= 200,
      },
      {
        name: 'index bytes per metric point (vs raw rows only)',
        value: Number(bytesPerPoint.toFixed(1)),
        unit: 'bytes',
        baseline: Number(rawBytesPerPoint.toFixed(1)),
        ratio: ratioOf(bytesPerPoint, rawBytesPerPoint),
        goal: '≤ 40 bytes',
        pass: bytesPerPoint <= 40,
      },
    ];
  } finally {
    ws.cleanup();
  }
}

function rawInsert(workspaceRoot: string): { ms: number; bytes: number } {
  const dir = mkdtempSync(join(workspaceRoot, 'raw-'));
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'raw.db');
  const store = IndexStore.open(path);
  try {
    const rows: [number, number, number, number, number, number][] = [];
    for (let r = 1; r <= RUNS; r++) {
      for (let step = 0; step < STEPS; step++) {
        KEYS.forEach((key, k) => {
          const event = metricEvent(key, step);
          if (event.type === 'metric') rows.push([r, k + 1, step, step, event.ts, event.value]);
        });
      }
    }
    const insert = store.db.prepare('INSERT INTO metrics(run_pk, key_id, seq, step, ts, value) VALUES (?,?,?,?,?,?)');
    const start = process.hrtime.bigint();
    store.transaction(() => {
      for (const row of rows) insert.run(...row);
    });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    store.close();
    return { ms, bytes: statSync(path).size };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
