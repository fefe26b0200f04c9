import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { CompareSession } from '../../../src/core/compare/compare-session';
import { ingestRun } from '../../../src/core/runs/ingest';
import type { RunEvent } from '../../../src/core/runs/protocol';
import { IndexStore } from '../../../src/core/store/database';
import { TempWorkspace, type RunFolderBuilder } from '../../fixtures/run-folder-builder';

let ws: TempWorkspace;
let store: IndexStore;

beforeEach(() => {
  ws = new TempWorkspace('trackside-compare-session-');
  store = IndexStore.open(':memory:');
});

afterEach(() => {
  store.close();
  ws.cleanup();
});

function losses(from: number, to: number): RunEvent[] {
  return Array.from({ length: to - from }, (_, i) => ({
    type: 'metric' as const,
    key: 'loss',
    value: 1 / (from + i + 1),
    step: from + i,
    ts: 1_735_689_600 + from + i,
  }));
}

async function live(index: number): Promise<RunFolderBuilder> {
  const run = ws.run(index).writeInfo();
  run.writeStatus({ status: 'running', pid: process.pid, endedAt: null, exitCode: null });
  run.events(losses(0, 10));
  await ingestRun(store, ws.root, run.id);
  return run;
}

test('a live chart receives only the points logged since the last answer, in order', async () => {
  const a = await live(1);
  const b = await live(2);
  const session = new CompareSession(store);
  session.setRuns([a.id, b.id]);
  session.loadTable();
  const answer = session.series({
    requestId: 7,
    key: 'loss',
    runIds: [a.id, b.id],
    view: { axis: 'step', smoothing: 0, maxPoints: 500, domain: null },
    groupBy: null,
    live: true,
  });
  assert.deepEqual(
    answer.lines.map((l) => [l.runId, l.x.length]),
    [
      [a.id, 10],
      [b.id, 10],
    ],
  );

  a.events(losses(10, 13));
  await ingestRun(store, ws.root, a.id);
  const update = session.onRunsChanged([a.id], 'updated');
  assert.ok(update);
  assert.equal(update.table, null, 'same columns: rows only');
  assert.deepEqual(
    update.rows.map((r) => [r.id, r.metrics[0]]),
    [[a.id, 1 / 13]],
  );
  assert.deepEqual(update.appends, [
    { requestId: 7, key: 'loss', lines: [{ runId: a.id, x: [10, 11, 12], y: [1 / 11, 1 / 12, 1 / 13] }] },
  ]);

  // Nothing new: nothing sent twice.
  await ingestRun(store, ws.root, a.id);
  assert.deepEqual(session.onRunsChanged([a.id], 'updated')?.appends, []);
});

test('a new metric key or param makes a whole new table; a run outside the panel changes nothing', async () => {
  const a = await live(1);
  const other = await live(2);
  const session = new CompareSession(store);
  session.setRuns([a.id]);
  session.loadTable();
  a.events([{ type: 'metric', key: 'accuracy', value: 0.5, step: 0, ts: 1_735_689_700 }]);
  await ingestRun(store, ws.root, a.id);
  const update = session.onRunsChanged([a.id], 'updated');
  assert.deepEqual(update?.table?.metricKeys, ['accuracy', 'loss']);
  other.events(losses(10, 11));
  await ingestRun(store, ws.root, other.id);
  assert.equal(session.onRunsChanged([other.id], 'updated'), null);
});

test('a removed run disappears from the table', async () => {
  const a = await live(1);
  const b = await live(2);
  const session = new CompareSession(store);
  session.setRuns([a.id, b.id]);
  session.loadTable();
  b.remove();
  await ingestRun(store, ws.root, b.id);
  const update = session.onRunsChanged([b.id], 'removed');
  assert.deepEqual(
    update?.table?.rows.map((r) => r.id),
    [a.id],
  );
});

test('grouping by a param answers mean ± std bands instead of lines', async () => {
  const a = ws
    .run(1, { params: { optimizer: 'adam' } })
    .writeInfo()
    .writeStatus();
  a.events(losses(0, 5));
  const b = ws
    .run(2, { params: { optimizer: 'adam' } })
    .writeInfo()
    .writeStatus();
  b.events(losses(0, 5).map((e) => ({ ...e, value: (e as { value: number }).value + 1 }) as RunEvent));
  await ingestRun(store, ws.root, a.id);
  await ingestRun(store, ws.root, b.id);
  const session = new CompareSession(store);
  session.setRuns([a.id, b.id]);
  session.loadTable();
  const answer = session.series({
    requestId: 1,
    key: 'loss',
    runIds: [a.id, b.id],
    view: { axis: 'step', smoothing: 0, maxPoints: 5, domain: null },
    groupBy: 'optimizer',
    live: false,
  });
  assert.deepEqual(answer.lines, []);
  assert.ok(answer.bands && answer.bands.length === 5);
  assert.deepEqual(answer.bands[0], { group: 'adam', x: 0, mean: 1.5, lower: 1, upper: 2, runs: 2 });
});

test('a live grouped chart is told its bands changed as its runs train, and gets them whole', async () => {
  const a = await live(1);
  const b = await live(2);
  const session = new CompareSession(store);
  session.setRuns([a.id, b.id]);
  session.loadTable();
  const request = {
    requestId: 3,
    key: 'loss',
    runIds: [a.id, b.id],
    view: { axis: 'step' as const, smoothing: 0, maxPoints: 500, domain: null },
    groupBy: 'lr',
    live: true,
  };
  const first = session.series(request);
  assert.equal(Math.max(...(first.bands ?? []).map((p) => p.x)), 9);

  a.events(losses(10, 13));
  await ingestRun(store, ws.root, a.id);
  const update = session.onRunsChanged([a.id], 'updated');
  assert.equal(update?.bandsStale, true);
  assert.deepEqual(update?.appends, [], 'bands are not appended to point by point');
  const [again, ...more] = session.liveBands();
  assert.deepEqual(more, []);
  assert.equal(again?.requestId, 3);
  const last = again?.bands?.at(-1);
  assert.deepEqual([last?.x, last?.runs, last?.mean], [12, 1, 1 / 13], 'the new steps, from the one run that has them');
  assert.deepEqual(session.liveBands(), [], 'nothing new: nothing sent twice');

  // A grouped chart that is not live is left alone.
  session.series({ ...request, requestId: 4, live: false });
  a.events(losses(13, 14));
  await ingestRun(store, ws.root, a.id);
  assert.equal(session.onRunsChanged([a.id], 'updated')?.bandsStale, false);
});
