import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bucketedLine } from '../../../src/core/store/chart-line';
import { ingestRun } from '../../../src/core/runs/ingest';
import type { RunEvent } from '../../../src/core/runs/protocol';
import { IndexStore } from '../../../src/core/store/database';
import { TempWorkspace } from '../../fixtures/run-folder-builder';

let ws: TempWorkspace;
let store: IndexStore;
let runId: string;
const POINTS = 20_000;
const SPIKE = 12_345;

before(async () => {
  ws = new TempWorkspace('trackside-series-sql-');
  const run = ws.run(1).writeInfo().writeStatus();
  const event = (i: number): RunEvent => ({
    type: 'metric',
    key: 'loss',
    value: i === SPIKE ? 40 : Math.exp(-i / 5000),
    step: i * 2,
    ts: 1_700_000_000 + i,
  });
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => event(from + k));
  run.events(range(0, 7));
  // Point 7 diverged: clients write NaN as a string.
  run.raw('{"type":"metric","key":"loss","value":"NaN","step":14,"ts":1700000007}\n');
  run.events(range(8, POINTS));
  runId = run.id;
  store = IndexStore.open(':memory:');
  await ingestRun(store, ws.root, runId);
});

after(() => {
  store.close();
  ws.cleanup();
});

test('a long line comes down to the chart width, keeping both ends and the spike', () => {
  const line = bucketedLine(store, runId, 'loss', 'step', 0, null, 1000);
  assert.ok(line);
  assert.ok(line.x.length <= 1000, `${line.x.length} points`);
  assert.equal(line.total, POINTS - 1, 'the NaN point is not drawn');
  assert.equal(line.downsampled, true);
  assert.equal(line.x[0], 0);
  assert.equal(line.x.at(-1), (POINTS - 1) * 2);
  assert.ok(line.y.includes(40));
  assert.equal(line.lastSeq, POINTS - 1);
  for (let i = 1; i < line.x.length; i++) assert.ok(line.x[i]! >= line.x[i - 1]!, 'x never goes back');
});

test('a zoomed range comes back whole when it fits, with one point beyond each end', () => {
  const line = bucketedLine(store, runId, 'loss', 'step', 0, [1000, 1400], 1000);
  assert.ok(line);
  assert.equal(line.downsampled, false);
  assert.equal(line.x[0], 998);
  assert.equal(line.x.at(-1), 1402);
  assert.equal(line.x.length, 203);
});

test('wall-clock and relative x come from the point times', () => {
  const wall = bucketedLine(store, runId, 'loss', 'wall', 0, [1_700_000_000_000, 1_700_000_003_000], 100);
  assert.deepEqual(wall?.x.slice(0, 3), [1_700_000_000_000, 1_700_000_001_000, 1_700_000_002_000]);
  const relative = bucketedLine(store, runId, 'loss', 'relative', 1_700_000_000, [0, 3], 100);
  assert.deepEqual(relative?.x.slice(0, 4), [0, 1, 2, 3]);
  assert.equal(bucketedLine(store, runId, 'accuracy', 'step', 0, null, 100), null);
});
