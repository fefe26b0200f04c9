import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
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

function parseOutput(bytes: Buffer | string, parser = new StdoutMetricParser()): ParsedMetric[] {
  const splitter = new OutputLineSplitter();
  const lines = [...splitter.push(Buffer.from(bytes)), ...splitter.end()];
  return lines.flatMap((line) => parser.parseLine(line));
}

describe('zero-code metrics from stdout', () => {
  const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.txt'));

  it('has a sample output for every supported format and one of prose', () => {
    for (const name of ['key-value', 'colon-pairs', 'json-lines', 'hf-trainer', 'keras', 'pytorch-examples', 'prose']) {
      assert.ok(fixtures.includes(`${name}.txt`), name);
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

  it('finds nothing in prose, versions, timestamps, URLs and paths', () => {
    assert.deepEqual(parseOutput(readFileSync(join(FIXTURES, 'prose.txt'))), []);
  });

  it('takes the step from a header line for the lines after it (Keras), and the final redraw of a progress bar', () => {
    const metrics = parseOutput(
      'Epoch 4/10\n10/10 [===] - loss: 0.9\r20/20 [======] - 1s - loss: 0.5 - accuracy: 0.8\n',
    );
    assert.deepEqual(metrics, [
      { key: 'loss', value: 0.5, step: 4 },
      { key: 'accuracy', value: 0.8, step: 4 },
    ]);
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

  it('keeps multi-byte characters split across chunks intact', () => {
    const splitter = new OutputLineSplitter();
    const bytes = Buffer.from('étape loss=0.5\n');
    const lines = [...splitter.push(bytes.subarray(0, 1)), ...splitter.push(bytes.subarray(1))];
    assert.deepEqual(lines, ['étape loss=0.5']);
  });
});
