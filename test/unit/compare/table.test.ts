import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bestValue } from '../../../src/core/compare/best-values';
import { metricDirection } from '../../../src/core/metrics/direction';
import { resolveColumn, sortRows, type Column } from '../../../src/core/compare/columns';
import { toCsv, toMarkdown } from '../../../src/core/compare/export-table';
import { buildCompareTable, differingParamKeys } from '../../../src/core/compare/table';
import type { CompareTable } from '../../../src/protocol/compare';
import { ingestAll } from '../../../src/core/runs/ingest';
import { IndexStore } from '../../../src/core/store/database';
import { getComparison } from '../../../src/core/store/comparison';
import { TempWorkspace } from '../../fixtures/run-folder-builder';

let ws: TempWorkspace;
let store: IndexStore;
let table: CompareTable;
const ids: string[] = [];

function column(id: string, aggregate: 'last' | 'min' | 'max' = 'last'): Column {
  const c = resolveColumn(id, aggregate);
  assert.ok(c, id);
  return c;
}

before(async () => {
  ws = new TempWorkspace('trackside-compare-table-');
  const specs = [
    {
      name: 'baseline',
      params: { lr: 0.1, optimizer: 'adam', epochs: 10 },
      loss: [2.0, 1.0, 0.6],
      acc: [0.5, 0.7, 0.8],
    },
    {
      name: 'low-lr, "quoted"',
      params: { lr: 0.001, optimizer: 'adam', epochs: 10 },
      loss: [2.0, 1.8, 1.5],
      acc: [0.4, 0.45, 0.5],
    },
    {
      name: 'sgd|pipe',
      params: { lr: 0.05, optimizer: 'sgd', epochs: 10 },
      loss: [2.0, 0.5, 0.7],
      acc: [0.5, 0.9, 0.85],
    },
  ];
  specs.forEach((spec, i) => {
    const run = ws.run(i, { name: spec.name, params: spec.params }).writeInfo().writeStatus();
    run.events([
      ...spec.loss.map((value, step) => ({
        type: 'metric' as const,
        key: 'loss',
        value,
        step,
        ts: 1_735_689_600 + step,
      })),
      ...spec.acc.map((value, step) => ({
        type: 'metric' as const,
        key: 'accuracy',
        value,
        step,
        ts: 1_735_689_600 + step,
      })),
    ]);
    ids.push(run.id);
  });
  store = IndexStore.open(':memory:');
  await ingestAll(store, ws.root);
  table = buildCompareTable(getComparison(store, ids), Date.UTC(2026, 0, 1));
});

after(() => {
  store.close();
  ws.cleanup();
});

test('one row per run with the index values: params, last/min/max of each metric, duration, short commit', () => {
  assert.deepEqual(table.paramKeys, ['epochs', 'lr', 'optimizer']);
  assert.deepEqual(table.metricKeys, ['accuracy', 'loss']);
  const sgd = table.rows.find((r) => r.name === 'sgd|pipe');
  assert.ok(sgd);
  assert.deepEqual(sgd.params, [10, 0.05, 'sgd']);
  // accuracy last/min/max, then loss last/min/max.
  assert.deepEqual(sgd.metrics, [0.85, 0.5, 0.9, 0.7, 0.5, 2.0]);
  assert.equal(sgd.durationMs, 90_000);
  assert.equal(sgd.status, 'finished');
});

test('only the params that differ between the rows shown', () => {
  assert.deepEqual(differingParamKeys(table, table.rows), ['lr', 'optimizer']);
  const adamOnly = table.rows.filter((r) => r.params[2] === 'adam');
  assert.deepEqual(differingParamKeys(table, adamOnly), ['lr']);
});

test('sorting by a metric aggregate or a param, with empty cells last both ways', () => {
  const names = (rows: typeof table.rows) => rows.map((r) => r.name);
  assert.deepEqual(names(sortRows(table, table.rows, column('metric:loss', 'min'), 'asc')), [
    'sgd|pipe',
    'baseline',
    'low-lr, "quoted"',
  ]);
  assert.deepEqual(names(sortRows(table, table.rows, column('metric:loss', 'last'), 'desc')), [
    'low-lr, "quoted"',
    'sgd|pipe',
    'baseline',
  ]);
  assert.deepEqual(names(sortRows(table, table.rows, column('param:lr'), 'asc')), [
    'low-lr, "quoted"',
    'sgd|pipe',
    'baseline',
  ]);
  const withEmpty = [
    ...table.rows,
    { ...table.rows[0]!, id: 'empty', name: 'empty', metrics: [null, null, null, null, null, null] },
  ];
  for (const direction of ['asc', 'desc'] as const) {
    assert.equal(sortRows(table, withEmpty, column('metric:loss'), direction).at(-1)?.name, 'empty');
  }
});

test('the best value follows the metric direction: loss-like names are minimised by default', () => {
  assert.equal(metricDirection('loss'), 'min');
  assert.equal(metricDirection('val/error_rate'), 'min');
  assert.equal(metricDirection('accuracy'), 'max');
  assert.equal(bestValue(table, table.rows, column('metric:loss', 'last'), metricDirection('loss')), 0.6);
  assert.equal(bestValue(table, table.rows, column('metric:accuracy', 'max'), metricDirection('accuracy')), 0.9);
  // The user flipped the direction.
  assert.equal(bestValue(table, table.rows, column('metric:accuracy', 'last'), 'min'), 0.5);
});

test('CSV export quotes what needs quoting and keeps full precision', () => {
  const rows = sortRows(table, table.rows, column('name'), 'asc');
  const csv = toCsv(table, rows, [column('name'), column('param:lr'), column('metric:loss', 'min')]);
  const lines = csv.split('\r\n');
  assert.equal(lines[0], 'id,Name,lr,loss (min)');
  assert.equal(lines[1], `${rows[0]!.id},baseline,0.1,0.6`);
  assert.equal(lines[2], `${rows[1]!.id},"low-lr, ""quoted""",0.001,1.5`);
  assert.equal(lines[3], `${rows[2]!.id},sgd|pipe,0.05,0.5`);
  assert.equal(lines[4], '');
});

test('Markdown export escapes pipes and right-aligns metric columns', () => {
  const rows = table.rows.filter((r) => r.name === 'sgd|pipe');
  const markdown = toMarkdown(table, rows, [column('name'), column('metric:accuracy', 'max')]);
  assert.equal(
    markdown,
    ['| id | Name | accuracy (max) |', '| --- | --- | ---: |', `| ${rows[0]!.id} | sgd\\|pipe | 0.9 |`, ''].join('\n'),
  );
});
