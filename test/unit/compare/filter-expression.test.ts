import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  FilterSyntaxError,
  compileFilter,
  parseFilter,
  textMatcher,
  unknownNames,
} from '../../../src/core/compare/filter-expression';
import type { CompareRow, CompareTable } from '../../../src/protocol/compare';

function row(id: string, status: string, params: (string | number | null)[], metrics: (number | null)[]): CompareRow {
  return {
    id,
    name: `run-${id}`,
    experiment: 'digits',
    status,
    createdAt: 0,
    durationMs: 1000,
    commit: 'abc1234def',
    branch: 'main',
    dirty: false,
    params,
    metrics,
  };
}

const table: CompareTable = {
  paramKeys: ['lr', 'optimizer'],
  metricKeys: ['loss', 'val/acc'],
  rows: [
    row('a', 'finished', [0.1, 'adam'], [0.5, 0.2, 2.0, 0.8, 0.1, 0.85]),
    row('b', 'finished', [0.001, 'sgd'], [0.9, 0.7, 2.1, 0.6, 0.1, 0.62]),
    row('c', 'failed', [0.05, 'adam'], [null, null, null, null, null, null]),
    row('d', 'running', [0.02, 'SGD-momentum'], [0.4, 0.35, 1.9, 0.7, 0.2, 0.7]),
  ],
};

function matching(expression: string): string[] {
  return table.rows.filter(compileFilter(table, parseFilter(expression))).map((r) => r.id);
}

test('the example from the panel filters on a param and the status', () => {
  assert.deepEqual(matching('lr > 0.01 and status = finished'), ['a']);
});

test('or, not and parentheses combine with the usual precedence', () => {
  assert.deepEqual(matching('status = failed or status = running and lr < 0.03'), ['c', 'd']);
  assert.deepEqual(matching('(status = failed or status = running) and lr < 0.03'), ['d']);
  assert.deepEqual(matching('not optimizer = adam'), ['b', 'd']);
  assert.deepEqual(matching('NOT (lr >= 0.05 OR status != finished)'), ['b']);
});

test('metrics compare by their last value, or min/max with a suffix; runs without the metric never match', () => {
  assert.deepEqual(matching('loss < 0.6'), ['a', 'd']);
  assert.deepEqual(matching('loss.min <= 0.35'), ['a', 'd']);
  assert.deepEqual(matching('val/acc.max > 0.8'), ['a']);
  assert.deepEqual(matching('metrics.loss >= 0.9'), ['b']);
});

test('~ is a case-insensitive contains; strings may be quoted; = on text ignores case', () => {
  assert.deepEqual(matching('optimizer ~ sgd'), ['b', 'd']);
  assert.deepEqual(matching('name = "RUN-B"'), ['b']);
  assert.deepEqual(matching("optimizer == 'sgd-momentum'"), ['d']);
  assert.deepEqual(matching('commit ~ abc'), ['a', 'b', 'c', 'd']);
});

test('a number compares numerically with a numeric param, not as text', () => {
  // As text "0.1" < "0.05" would be false the other way round.
  assert.deepEqual(matching('lr > 0.05'), ['a']);
  assert.deepEqual(matching('lr = 1e-3'), ['b']);
});

test('syntax errors are typed, with the reason and where they are', () => {
  const cases: [string, FilterSyntaxError['reason'], number][] = [
    ['lr >', 'missing-value', 4],
    ['lr 0.1', 'unexpected-token', 3],
    ['(lr > 0.1', 'missing-parenthesis', 9],
    ['lr > 0.1)', 'missing-parenthesis', 8],
    ['name = "open', 'unterminated-string', 7],
    ['lr > 0.1 status = x', 'unexpected-token', 9],
    ['   ', 'empty', 0],
  ];
  for (const [source, reason, position] of cases) {
    assert.throws(
      () => parseFilter(source),
      (error: unknown) => error instanceof FilterSyntaxError && error.reason === reason && error.position === position,
      source,
    );
  }
});

test('names matching no column are reported so the panel can say so', () => {
  assert.deepEqual(unknownNames(table, parseFilter('lr > 0 and batch = 32 or id = a')), ['batch']);
  assert.deepEqual(matching('batch = 32'), []);
});

test('the text filter searches names, ids, statuses, commits and param values', () => {
  const ids = (text: string) => table.rows.filter(textMatcher(text)).map((r) => r.id);
  assert.deepEqual(ids('momentum'), ['d']);
  assert.deepEqual(ids('FAILED'), ['c']);
  assert.deepEqual(ids(''), ['a', 'b', 'c', 'd']);
});
