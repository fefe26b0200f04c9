import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ingestAll } from '../../../src/core/runs/ingest';
import { IndexStore } from '../../../src/core/store/database';
import { comparedParams, getComparison } from '../../../src/core/store/comparison';
import { getMetricSeries } from '../../../src/core/store/metric-series';
import { getRunDetail } from '../../../src/core/store/run-detail';
import { paramsForRuns, summariesForRuns } from '../../../src/core/store/runs';
import { listExperiments, queryRuns, resolveRunId } from '../../../src/core/store/runs';
import { TempWorkspace } from '../../fixtures/run-folder-builder';

describe('index queries', () => {
  let ws: TempWorkspace;
  let store: IndexStore;
  const ids: string[] = [];
  before(async () => {
    ws = new TempWorkspace();
    for (let i = 0; i < 6; i++) {
      const run = ws.run(i, { experiment: i < 4 ? 'sweep' : 'baseline', name: i === 2 ? 'wide-lr' : `run-${i}` });
      run.writeInfo().writeStatus(i === 5 ? { status: 'failed', exitCode: 1 } : {});
      run.events([{ type: 'params', values: { lr: 0.1 * (i + 1), opt: 'adam' } }]);
      run.events(
        Array.from({ length: 300 }, (_, step) => ({
          type: 'metric' as const,
          key: 'loss',
          value: (i + 1) / (step + 1),
          step,
          ts: 1000 + step,
        })),
      );
      if (i % 2 === 0) run.events([{ type: 'tag', key: 'team', value: 'vision' }]);
      ids.push(run.id);
    }
    store = IndexStore.openWorkspace(ws.root);
    await ingestAll(store, ws.root);
  });
  after(() => {
    store.close();
    ws.cleanup();
  });

  it('lists experiments with run counts', () => {
    const experiments = listExperiments(store).map((e) => [e.name, e.runCount]);
    assert.deepEqual(experiments, [
      ['baseline', 2],
      ['sweep', 4],
    ]);
  });

  it('filters runs by experiment, status, tag and text, newest first, with paging', () => {
    assert.deepEqual(
      queryRuns(store, { experiment: 'sweep' }).rows.map((r) => r.id),
      ids.slice(0, 4).reverse(),
    );
    assert.deepEqual(
      queryRuns(store, { status: ['failed'] }).rows.map((r) => r.id),
      [ids[5]],
    );
    assert.deepEqual(queryRuns(store, { tag: { key: 'team', value: 'vision' } }).total, 3);
    assert.deepEqual(
      queryRuns(store, { text: 'wide' }).rows.map((r) => r.name),
      ['wide-lr'],
    );
    const page = queryRuns(store, { limit: 2, offset: 2 });
    assert.equal(page.total, 6);
    assert.deepEqual(
      page.rows.map((r) => r.id),
      [ids[3], ids[2]],
    );
  });

  it('sorts by a metric’s last value', () => {
    const asc = queryRuns(store, { sort: { by: 'metric', key: 'loss' }, direction: 'asc' }).rows;
    assert.deepEqual(
      asc.map((r) => r.id),
      ids,
    );
    assert.equal(asc[0]?.sortValue, 1 / 300);
  });

  it('returns a run’s detail and resolves unique prefixes', () => {
    const detail = getRunDetail(store, ids[1] as string);
    assert.equal(detail?.experiment, 'sweep');
    assert.deepEqual(
      detail?.params.map((p) => [p.key, p.number]),
      [
        ['lr', 0.2],
        ['opt', null],
      ],
    );
    assert.equal(detail?.summaries[0]?.count, 300);
    assert.deepEqual(resolveRunId(store, (ids[1] as string).toLowerCase()), { kind: 'found', runId: ids[1] });
    assert.equal(resolveRunId(store, '01JTEST').kind, 'ambiguous');
    assert.equal(resolveRunId(store, 'ZZZ').kind, 'none');
  });

  it('returns a series raw, by time, downsampled, and only new points after a seq', () => {
    const raw = getMetricSeries(store, { runId: ids[0] as string, key: 'loss' });
    assert.equal(raw?.x.length, 300);
    assert.equal(raw?.y[0], 1);
    const byTime = getMetricSeries(store, { runId: ids[0] as string, key: 'loss', axis: 'time' });
    assert.equal(byTime?.x[0], 1000);
    const small = getMetricSeries(store, { runId: ids[0] as string, key: 'loss', maxPoints: 50, method: 'minmax' });
    assert.ok(small?.downsampled && small.x.length <= 50 && small.total === 300);
    const tail = getMetricSeries(store, { runId: ids[0] as string, key: 'loss', afterSeq: 295 });
    assert.deepEqual(tail?.x, [296, 297, 298, 299]);
    assert.equal(getMetricSeries(store, { runId: ids[0] as string, key: 'nope' }), null);
  });

  it('builds a comparison payload for a set of runs', () => {
    const payload = getComparison(store, [ids[0] as string, ids[4] as string]);
    assert.deepEqual(
      payload.runs.map((r) => r.id),
      [ids[0], ids[4]],
    );
    assert.deepEqual(payload.paramKeys, ['lr', 'opt']);
    assert.deepEqual(payload.metricKeys, ['loss']);
    // Row-major columns: run 1's lr sits one row of keys after run 0's.
    assert.deepEqual(payload.params.keys, ['lr', 'opt']);
    assert.deepEqual(payload.params.text, ['0.1', 'adam', '0.5', 'adam']);
    assert.deepEqual([...payload.params.number], [0.1, Number.NaN, 0.5, Number.NaN]);
    assert.deepEqual([...payload.summaries.count], [300, 300]);
    assert.deepEqual([...payload.summaries.last], [1 / 300, 5 / 300]);
    assert.deepEqual([...payload.summaries.max], [1, 5]);
  });

  it('gives each compared run the params and summaries the per-run queries give', () => {
    const payload = getComparison(store, ids);
    const { summaries } = payload;
    payload.runs.forEach((run, r) => {
      assert.deepEqual(comparedParams(payload, r), paramsForRuns(store, [run.id]));
      const expected = summariesForRuns(store, [run.id]);
      summaries.keys.forEach((key, k) => {
        const at = r * summaries.keys.length + k;
        const entry = expected.find((e) => e.key === key);
        assert.deepEqual(
          [summaries.count[at], summaries.last[at], summaries.min[at], summaries.max[at]],
          entry ? [entry.count, entry.last, entry.min, entry.max] : [0, Number.NaN, Number.NaN, Number.NaN],
        );
      });
    });
  });

  it('compares params exactly, null params included, and leaves unknown runs out', async () => {
    const extra = ws.run(10, { experiment: 'edge' });
    extra.writeInfo().writeStatus();
    extra.events([
      {
        type: 'params',
        values: { precise: 0.30000000000000004, flag: true, word: 'true', padded: ' 42 ', empty: '', none: null },
      },
    ]);
    // Clients write NaN and infinities as strings, which JSON can carry.
    extra.raw('{"type":"metric","key":"loss","value":"NaN","step":0,"ts":1}\n');
    extra.raw('{"type":"metric","key":"gain","value":"Infinity","step":0,"ts":1}\n');
    await ingestAll(store, ws.root);
    const payload = getComparison(store, [extra.id, 'NO-SUCH-RUN']);
    assert.deepEqual(
      payload.runs.map((r) => r.id),
      [extra.id],
    );
    assert.deepEqual(comparedParams(payload, 0), paramsForRuns(store, [extra.id]));
    const byKey = Object.fromEntries(comparedParams(payload, 0).map((p) => [p.key, [p.text, p.number]]));
    assert.deepEqual(byKey, {
      empty: ['', null],
      flag: ['true', 1],
      lr: ['0.1', 0.1],
      none: [null, null],
      padded: [' 42 ', 42],
      precise: ['0.30000000000000004', 0.30000000000000004],
      word: ['true', null],
    });
    const { summaries } = payload;
    assert.deepEqual(summaries.keys, ['gain', 'loss']);
    assert.deepEqual([...summaries.count], [1, 1]);
    assert.deepEqual([...summaries.last], [Number.POSITIVE_INFINITY, Number.NaN]);
    assert.deepEqual([...summaries.max], [Number.POSITIVE_INFINITY, Number.NaN]);
  });
});
