import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ingestAll } from '../../../src/core/runs/ingest';
import type { RunEvent } from '../../../src/core/runs/protocol';
import { reindex } from '../../../src/core/runs/reindex';
import { bucketedLine } from '../../../src/core/store/chart-line';
import { IndexStore } from '../../../src/core/store/database';
import { clearRunTables } from '../../../src/core/store/maintenance';
import { applyEventChunk, deleteRunRows, insertRunRow } from '../../../src/core/store/run-rows';
import { keptTiers, tierSize } from '../../../src/core/store/series-tiers';
import { TempWorkspace } from '../../fixtures/run-folder-builder';

// Long series are kept as tiers of min/max/first/last/count buckets at ingest, so a chart reads a
// few thousand rows whatever the run's length. These tests hold the tiers to the raw points they
// summarize, through chunked, failed and repeated ingest, reindex and an upgrade from an older index.

interface Point {
  seq: number;
  step: number | null;
  ts: number;
  value: number;
}

const ws = new TempWorkspace('trackside-tiers-');
process.on('exit', () => ws.cleanup());

function storeWithRun(index = 0): { store: IndexStore; runId: string } {
  const store = IndexStore.open(':memory:');
  const info = ws.run(index).info();
  insertRunRow(store, info);
  return { store, runId: info.id };
}

/** Applies `events` as consecutive chunks of the given sizes (the last size repeats). */
function ingestChunks(store: IndexStore, runId: string, events: RunEvent[], sizes: number[], firstOffset = 0): number {
  let offset = firstOffset;
  for (let i = 0, c = 0; i < events.length; c++) {
    const size = sizes[Math.min(c, sizes.length - 1)] as number;
    const chunk = events.slice(i, i + size);
    assert.ok(applyEventChunk(store, runId, offset, { events: chunk, nextOffset: offset + 1, malformed: 0 }));
    offset++;
    i += size;
  }
  return offset;
}

type Bucket = [number, number, number, number, number, number, number, number, number, number, number, number];

/** The buckets every kept tier must hold, computed here from the points alone. */
function expectedTiers(points: readonly Point[]): Map<number, Bucket[]> {
  const tiers = new Map<number, Bucket[]>();
  for (let tier = 0; tier < keptTiers(points.length); tier++) {
    const size = tierSize(tier);
    const buckets: Bucket[] = [];
    for (let start = 0; start < points.length; start += size) {
      const finite = points.slice(start, start + size).filter((p) => Number.isFinite(p.value));
      if (finite.length === 0) continue;
      const xs = finite.map((p) => p.step ?? p.seq);
      const ts = finite.map((p) => p.ts);
      const values = finite.map((p) => p.value);
      const lo = Math.min(...values);
      const hi = Math.max(...values);
      buckets.push([
        start / size,
        finite.length,
        Math.min(...xs),
        Math.max(...xs),
        Math.min(...ts),
        Math.max(...ts),
        values[0] as number,
        values.at(-1) as number,
        lo,
        hi,
        (finite.find((p) => p.value === lo) as Point).seq,
        (finite.find((p) => p.value === hi) as Point).seq,
      ]);
    }
    tiers.set(tier, buckets);
  }
  return tiers;
}

function storedTiers(store: IndexStore, runId: string, key: string): Map<number, Bucket[]> {
  const rows = store.db
    .prepare(
      `SELECT t.tier, t.bucket, t.n, t.x_min, t.x_max, t.t_min, t.t_max, t.first, t.last, t.lo, t.hi, t.lo_seq, t.hi_seq
       FROM metric_tiers t JOIN runs r ON r.pk = t.run_pk JOIN metric_keys k ON k.id = t.key_id
       WHERE r.id = ? AND k.key = ? ORDER BY t.tier, t.bucket`,
    )
    .raw<[number, ...Bucket]>()
    .all(runId, key);
  const tiers = new Map<number, Bucket[]>();
  for (const [tier, ...bucket] of rows) tiers.set(tier, [...(tiers.get(tier) ?? []), bucket]);
  return tiers;
}

function metricEvents(key: string, points: readonly Point[]): RunEvent[] {
  return points.map((p) => ({ type: 'metric', key, value: p.value, step: p.step, ts: p.ts }));
}

/** A noisy decaying curve with the awkward points a real run logs: NaN, ±Infinity, no step, a step reset. */
function awkwardSeries(count: number, seed: number): Point[] {
  return Array.from({ length: count }, (_, seq) => {
    const r = Math.sin(seq * 12.9898 + seed) * 43758.5453;
    const noise = r - Math.floor(r);
    let value = Math.exp(-seq / 9000) + noise / 10;
    if (seq % 997 === 13) value = Number.NaN;
    if (seq % 4099 === 7) value = seq % 2 === 0 ? Infinity : -Infinity;
    if (seq >= 3000 && seq < 3100) value = Number.NaN; // a stretch with no finite point at all
    const step = seq % 1511 === 5 ? null : seq < 20_000 ? seq * 3 : (seq - 20_000) * 3;
    return { seq, step, ts: 1_700_000_000 + seq * 0.25 + seed, value };
  });
}

describe('series tiers', () => {
  it('ingest keeps every tier equal to the buckets of the raw points, chunk after chunk', () => {
    const { store, runId } = storeWithRun();
    const loss = awkwardSeries(40_000, 1);
    const acc = awkwardSeries(9_000, 2);
    // Both keys in each chunk, in chunks of every awkward size: single points, bucket edges, bulk.
    const events: RunEvent[] = [];
    for (let i = 0; i < loss.length; i++) {
      events.push(...metricEvents('loss', [loss[i] as Point]));
      if (i < acc.length) events.push(...metricEvents('acc', [acc[i] as Point]));
    }
    const sizes = [1, 1, 7, 62, 64, 65, 2047, 2, 4096, 1, 12_345, 3, 31, 33, 20_000];
    let offset = 0;
    let applied = 0;
    for (const size of sizes) {
      offset = ingestChunks(store, runId, events.slice(applied, applied + size), [size], offset);
      applied += size;
      const lossSoFar = events.slice(0, applied).filter((e) => e.type === 'metric' && e.key === 'loss').length;
      const accSoFar = events.slice(0, applied).filter((e) => e.type === 'metric' && e.key === 'acc').length;
      assert.deepEqual(storedTiers(store, runId, 'loss'), expectedTiers(loss.slice(0, lossSoFar)), `after ${applied}`);
      assert.deepEqual(storedTiers(store, runId, 'acc'), expectedTiers(acc.slice(0, accSoFar)), `after ${applied}`);
    }
    ingestChunks(store, runId, events.slice(applied), [5000], offset);
    assert.equal(storedTiers(store, runId, 'loss').size, 3, 'a 40,000-point series keeps three tiers');
    assert.deepEqual(storedTiers(store, runId, 'loss'), expectedTiers(loss));
    assert.deepEqual(storedTiers(store, runId, 'acc'), expectedTiers(acc));
    store.close();
  });

  it('a chunk whose transaction fails leaves no tier row behind, and a chunk already applied changes nothing', () => {
    const { store, runId } = storeWithRun();
    const points = awkwardSeries(12_000, 3);
    const events = metricEvents('loss', points);
    const offset = ingestChunks(store, runId, events.slice(0, 10_000), [2500]);
    const before = storedTiers(store, runId, 'loss');
    assert.deepEqual(before, expectedTiers(points.slice(0, 10_000)));
    // The offset is written last in the chunk's transaction: failing it undoes the points and tiers.
    store.db.exec(`CREATE TEMP TRIGGER fail_offset BEFORE UPDATE ON main.ingest_offsets
      BEGIN SELECT RAISE(ABORT, 'disk gone'); END`);
    const chunk = { events: events.slice(10_000), nextOffset: offset + 1, malformed: 0 };
    assert.throws(() => applyEventChunk(store, runId, offset, chunk), /disk gone/);
    assert.deepEqual(storedTiers(store, runId, 'loss'), before);
    store.db.exec('DROP TRIGGER fail_offset');
    assert.equal(applyEventChunk(store, runId, offset, chunk), true);
    const after = storedTiers(store, runId, 'loss');
    assert.deepEqual(after, expectedTiers(points));
    // Another ingester got there first: the stale chunk is skipped whole.
    assert.equal(applyEventChunk(store, runId, offset, chunk), false);
    assert.deepEqual(storedTiers(store, runId, 'loss'), after);
    store.close();
  });

  it('a single spike in 1,000,000 points is drawn at its exact value in the first view and in every zoom', () => {
    const { store, runId } = storeWithRun();
    const count = 1_000_000;
    const spikeSeq = 654_321;
    const points: Point[] = Array.from({ length: count }, (_, seq) => ({
      seq,
      step: seq,
      ts: 1_700_000_000 + seq,
      value: seq === spikeSeq ? 50 : 1 + Math.exp(-seq / 200_000),
    }));
    ingestChunks(store, runId, metricEvents('loss', points), [50_000]);
    const lowest = 1 + Math.exp(-(count - 1) / 200_000);
    const line = (domain: [number, number] | null, maxPoints = 1000) => {
      const answer = bucketedLine(store, runId, 'loss', 'step', 0, domain, maxPoints);
      assert.ok(answer);
      assert.ok(answer.x.length <= maxPoints, `${answer.x.length} points for ${maxPoints}`);
      return answer;
    };
    const first = line(null);
    assert.equal(first.total, count);
    assert.equal(first.downsampled, true);
    assert.equal(Math.max(...first.y), 50, 'the spike keeps its value');
    assert.equal(Math.min(...first.y), lowest, 'the lowest value is exact');
    assert.equal(first.x[0], 0);
    assert.equal(first.x.at(-1), count - 1);
    const spikeAt = first.x[first.y.indexOf(50)] as number;
    assert.ok(Math.abs(spikeAt - spikeSeq) <= count / 500, `the spike is drawn at ${spikeAt}`);
    for (let i = 1; i < first.x.length; i++) assert.ok(first.x[i]! >= first.x[i - 1]!, 'x never goes back');

    for (const half of [300_000, 50_000, 5_000, 700, 3]) {
      const zoomed = line([spikeSeq - half, spikeSeq + half]);
      assert.equal(Math.max(...zoomed.y), 50, `zoomed to ±${half}`);
      assert.ok(zoomed.x[0]! <= spikeSeq - half && zoomed.x.at(-1)! >= spikeSeq + half, `±${half} reaches both edges`);
    }
    const elsewhere = line([100_000, 200_000]);
    assert.ok(Math.max(...elsewhere.y) < 2, 'a zoom away from the spike does not show it');
    assert.ok(Math.max(...elsewhere.y) >= 1 + Math.exp(-100_000 / 200_000), 'nor does it cut the top of its range');

    // The first view and a wide zoom come from the tiers alone: without the raw points they are the same.
    const wide = line([200_000, 700_000]);
    store.db.exec('DELETE FROM metrics');
    assert.deepEqual(line(null), first);
    assert.deepEqual(line([200_000, 700_000]), wide);
    store.close();
  });

  it('a zoom too narrow for any tier draws the raw points of its range, with the nearest beyond each end', () => {
    const { store, runId } = storeWithRun();
    const points: Point[] = Array.from({ length: 100_000 }, (_, seq) => ({
      seq,
      step: seq * 2,
      ts: 1_700_000_000 + seq,
      value: Math.cos(seq / 50),
    }));
    ingestChunks(store, runId, metricEvents('loss', points), [20_000]);
    const raw = bucketedLine(store, runId, 'loss', 'step', 0, [101_000, 101_400], 1000);
    assert.ok(raw);
    assert.equal(raw.downsampled, false);
    assert.deepEqual(
      raw.x,
      Array.from({ length: 203 }, (_, i) => 100_998 + i * 2),
    );
    assert.deepEqual(
      raw.y,
      points.slice(50_499, 50_702).map((p) => p.value),
    );
    // Between two logged steps: the segment that crosses the view.
    const between = bucketedLine(store, runId, 'loss', 'step', 0, [1001.2, 1001.6], 1000);
    assert.deepEqual(between?.x, [1000, 1002]);
    // On the time axes the tiers are searched by the points' times.
    const wall = bucketedLine(store, runId, 'loss', 'wall', 0, [1_700_050_000_000, 1_700_050_002_000], 100);
    assert.deepEqual(
      wall?.x,
      [1_700_049_999_000, 1_700_050_000_000, 1_700_050_001_000, 1_700_050_002_000, 1_700_050_003_000],
    );
    const relative = bucketedLine(store, runId, 'loss', 'relative', 1_700_000_000, [20_000, 80_000], 500);
    assert.ok(relative && relative.downsampled && relative.x.length <= 500);
    assert.ok(relative.x[0]! <= 20_000 && relative.x[0]! > 19_000, `starts at ${relative.x[0]}`);
    assert.ok(relative.x.at(-1)! >= 80_000 && relative.x.at(-1)! < 81_000, `ends at ${relative.x.at(-1)}`);
    store.close();
  });

  it('reindex rebuilds the tiers, clearing the index empties them, and a deleted run takes its own along', async () => {
    const root = new TempWorkspace('trackside-tiers-reindex-');
    try {
      for (let i = 0; i < 2; i++) root.run(i).writeInfo().writeStatus().metrics(['loss', 'acc'], 3000);
      const store = IndexStore.open(join(root.root, '.trackside', 'index.db'));
      await ingestAll(store, root.root);
      const ids = [root.run(0).id, root.run(1).id];
      const built = ids.map((id) => storedTiers(store, id, 'loss'));
      assert.equal(built[0]?.get(0)?.length, Math.ceil(3000 / tierSize(0)));
      clearRunTables(store);
      assert.equal(store.db.prepare('SELECT COUNT(*) FROM metric_tiers').pluck().get(), 0);
      await reindex(store, root.root);
      assert.deepEqual(
        ids.map((id) => storedTiers(store, id, 'loss')),
        built,
      );
      deleteRunRows(store, ids[0] as string);
      const left = store.db.prepare('SELECT DISTINCT run_pk FROM metric_tiers').pluck().all();
      assert.deepEqual(left, [store.statements.runPk.get(ids[1] as string)]);
      store.close();
    } finally {
      root.cleanup();
    }
  });

  it('an index written before tiers existed gets them when it is opened', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trackside-tiers-upgrade-'));
    try {
      const path = join(dir, 'index.db');
      const store = IndexStore.open(path);
      const info = ws.run(7).info();
      insertRunRow(store, info);
      const points = awkwardSeries(30_000, 4);
      ingestChunks(store, info.id, metricEvents('loss', points), [10_000]);
      // What schema 3 was: no tier table.
      store.db.exec('DROP TABLE metric_tiers');
      store.db.pragma('user_version = 3');
      store.close();
      const reopened = IndexStore.open(path);
      assert.deepEqual(storedTiers(reopened, info.id, 'loss'), expectedTiers(points));
      reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
