import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { OutputLineSplitter } from '../../../src/core/runs/output-lines';
import {
  compileMetricPattern,
  MetricPatternError,
  StdoutMetricParser,
  type ParsedMetric,
} from '../../../src/core/runs/stdout-metrics';
import { REPO_ROOT } from './run-fixtures';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'stdout');

/** Every point the output holds, as the launcher reads it before rate-limiting redraws. */
function parseOutput(bytes: Buffer | string, parser = new StdoutMetricParser()): ParsedMetric[] {
  const splitter = new OutputLineSplitter();
  const segments = [...splitter.push(Buffer.from(bytes)), ...splitter.end()];
  return segments.flatMap((segment) => {
    if (segment.redraw) return parser.parseRedraw(segment.text);
    return segment.repeat ? [] : parser.parseLine(segment.text);
  });
}

describe('zero-code metrics from stdout', () => {
  const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.txt'));

  it('has a sample output for every supported format and one of prose', () => {
    const formats = [
      ...['key-value', 'colon-pairs', 'json-lines', 'plain-print', 'pipe-table', 'progress-and-logging', 'prose'],
      ...['pytorch-examples', 'pytorch-mnist', 'pytorch-quickstart', 'lightning', 'keras', 'keras-piped'],
      ...['hf-trainer', 'hf-trainer-summary', 'sklearn-gradient-boosting', 'sklearn-mlp', 'sklearn-sgd'],
      ...['xgboost', 'lightgbm', 'fastai', 'tqdm'],
    ];
    for (const name of formats) {
      assert.ok(fixtures.includes(`${name}.txt`), name);
      assert.ok(existsSync(join(FIXTURES, `${name}.expected.json`)), `${name}.expected.json`);
    }
  });

  for (const fixture of fixtures) {
    it(`extracts the expected metrics from ${fixture}`, () => {
      const expected = JSON.parse(
        readFileSync(join(FIXTURES, fixture.replace('.txt', '.expected.json')), 'utf8'),
      ) as Array<ParsedMetric & { value: number | 'NaN' }>;
      const actual = parseOutput(readFileSync(join(FIXTURES, fixture))).map((m) => ({
        ...m,
        value: Number.isNaN(m.value) ? 'NaN' : m.value,
      }));
      assert.deepEqual(actual, expected);
      if (fixture !== 'prose.txt') assert.ok(actual.length > 0);
    });
  }

  it('finds nothing in prose: logging, warnings, banners, paths, timings, downloads, pip, dates, IPs, URLs', () => {
    const lines = readFileSync(join(FIXTURES, 'prose.txt'), 'utf8').split('\n');
    assert.ok(lines.length > 100, 'a corpus of real prose lines');
    const parser = new StdoutMetricParser();
    const falsePositives = lines.filter((line) => parser.parseLine(line).length > 0);
    assert.deepEqual(falsePositives, []);
  });

  it('takes the step from a header line for the lines after it (Keras), for each redraw of its bar too', () => {
    const metrics = parseOutput(
      'Epoch 4/10\n10/10 [===] - loss: 0.9\r20/20 [======] - 1s - loss: 0.5 - accuracy: 0.8\n',
    );
    assert.deepEqual(metrics, [
      { key: 'loss', value: 0.9, step: 4 },
      { key: 'loss', value: 0.5, step: 4 },
      { key: 'accuracy', value: 0.8, step: 4 },
    ]);
  });

  it('gives a bar without an epoch the bar’s count as step, and one inside an epoch the epoch', () => {
    const bar = (n: number, loss: number) => ` ${n * 25}%|██| ${n}/4 [00:00<00:00, 9.50it/s, loss=${loss}]`;
    assert.deepEqual(parseOutput(`\r${bar(1, 0.5)}\r${bar(2, 0.4)}\n`), [
      { key: 'loss', value: 0.5, step: 1 },
      { key: 'loss', value: 0.4, step: 2 },
    ]);
    assert.deepEqual(parseOutput(`Epoch 3/10\n\r${bar(1, 0.5)}\n`), [{ key: 'loss', value: 0.5, step: 3 }]);
  });

  it('reads names of several words only when they name a measure, and percentages only of measures', () => {
    assert.deepEqual(parseOutput('Validation score: 0.9\nUsing device: 0\nDownloading: 45%\nAccuracy: 98%\n'), [
      { key: 'validation_score', label: 'Validation score', value: 0.9, step: null },
      { key: 'Accuracy', value: 98, step: null },
    ]);
  });

  it('reads one named measure inside prose as a metric without step, and no other pair inside prose', () => {
    const metrics = parseOutput('Epoch 3/10\nLoss: 0.000987 after 316 batches\nSaved 5 files, total=10\n');
    assert.deepEqual(metrics, [{ key: 'Loss', value: 0.000987, step: null }]);
  });

  it('ends a table at a line with words, so later rows of numbers are no metrics', () => {
    const metrics = parseOutput('Epoch  loss\n1  0.5\nSaving checkpoint to model.pt\n2  0.4\n');
    assert.deepEqual(metrics, [{ key: 'loss', value: 0.5, step: 1 }]);
  });

  it('turns step and epoch keys into the step, not metrics', () => {
    assert.deepEqual(parseOutput('{"step": 7, "epoch": 1, "loss": 0.5}\nstep=8 loss=0.4\n'), [
      { key: 'epoch', value: 1, step: 7 },
      { key: 'loss', value: 0.5, step: 7 },
      { key: 'loss', value: 0.4, step: 8 },
    ]);
  });

  it('ignores ANSI colours around pairs', () => {
    assert.deepEqual(parseOutput('\x1b[32mloss=0.25\x1b[0m acc=0.5\n'), [
      { key: 'loss', value: 0.25, step: null },
      { key: 'acc', value: 0.5, step: null },
    ]);
  });

  it('applies extra patterns with key/value groups or a fixed key', () => {
    const parser = new StdoutMetricParser([
      compileMetricPattern(String.raw`^(?<key>\w+) is now (?<value>[\d.]+)$`),
      compileMetricPattern(String.raw`perplexity ~ ([\d.]+)`, 'ppl'),
    ]);
    assert.deepEqual(parseOutput('loss is now 0.25\nmodel perplexity ~ 12.5\n', parser), [
      { key: 'loss', value: 0.25, step: null },
      { key: 'ppl', value: 12.5, step: null },
    ]);
  });

  it('rejects extra patterns that cannot yield a metric, with a reason', () => {
    assert.throws(
      () => compileMetricPattern('(unclosed'),
      (e) => e instanceof MetricPatternError && e.reason === 'invalid-regex',
    );
    assert.throws(
      () => compileMetricPattern('loss (\\d+)'),
      (e) => e instanceof MetricPatternError && e.reason === 'missing-groups',
    );
    assert.throws(
      () => compileMetricPattern('loss', 'loss'),
      (e) => e instanceof MetricPatternError && e.reason === 'missing-groups',
    );
  });
});
