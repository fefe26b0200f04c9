import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MonitoringError } from '../../../src/core/monitoring/errors';
import { liveSampleFromArchive } from '../../../src/core/monitoring/prediction-log';
import { parseCsv, referenceTableFromCsv } from '../../../src/core/monitoring/reference';
import { compareToReference } from '../../../src/core/monitoring/report';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function line(ts: number, version: string, rows: number[][], name = 'input-0'): string {
  return JSON.stringify({
    v: 1,
    ts,
    id: null,
    model: 'm',
    version,
    latency_ms: 1,
    inputs: [{ name, shape: [rows.length, rows[0]!.length], datatype: 'FP64', data: rows }],
    outputs: [],
  });
}

/** A tar archive made by the system's tar, as the SSH target reads a prediction-log folder. */
function archiveOf(files: Record<string, string>): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'trackside-live-'));
  dirs.push(dir);
  const folder = join(dir, 'logs');
  mkdirSync(folder);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(folder, name), content);
  return execFileSync('tar', ['cf', '-', '-C', folder, '.']);
}

describe('the live sample from a deployment’s prediction logs', () => {
  it('reads every instance’s rotated files, oldest first, row by row, skipping bad and torn lines', () => {
    const archive = archiveOf({
      'digits.a.jsonl.1': `${line(100, 'sha256:a', [[1, 2]])}\nnot json\n`,
      'digits.a.jsonl': `${line(200, 'sha256:a', [
        [3, 4],
        [5, 6],
      ])}\n${line(250, 'sha256:a', [[7, 8]])}\n{"ts": 1, "torn`,
      'digits.b.jsonl': `${line(300, 'sha256:b', [[9, 10]], 'input-0')}\n${line(310, 'sha256:b', [[1, 2, 3]])}\n`,
      'notes.txt': 'not a log\n',
    });
    const sample = liveSampleFromArchive(archive);
    assert.deepEqual(sample.features, ['input-0[0]', 'input-0[1]']);
    assert.deepEqual(
      sample.columns.map((c) => Array.from(c)),
      [
        [1, 3, 5, 7, 9],
        [2, 4, 6, 8, 10],
      ],
    );
    assert.ok(sample.columns[0] instanceof Float64Array, 'numbers are kept unboxed');
    assert.equal(sample.rows, 5);
    assert.equal(sample.requests, 4);
    assert.equal(sample.malformed, 1, 'the line that is not JSON (the torn last line is not counted yet)');
    assert.equal(sample.mismatched, 1, 'the request with three features');
    assert.deepEqual(sample.versions, { 'sha256:a': 3, 'sha256:b': 1 });
    assert.deepEqual([sample.from, sample.to], [100, 300]);
  });

  it('keeps only the requests since a time, or of one version', () => {
    const archive = archiveOf({
      'm.jsonl':
        [line(100, 'sha256:a', [[1]]), line(200, 'sha256:b', [[2]]), line(300, 'sha256:a', [[3]])].join('\n') + '\n',
    });
    assert.deepEqual(Array.from(liveSampleFromArchive(archive, { since: 200 }).columns[0]!), [2, 3]);
    assert.deepEqual(Array.from(liveSampleFromArchive(archive, { version: 'sha256:a' }).columns[0]!), [1, 3]);
  });

  it('reads an empty folder as no requests', () => {
    assert.equal(liveSampleFromArchive(Buffer.alloc(0)).rows, 0);
  });
});

describe('the reference table and the report', () => {
  it('parses quoted CSV fields and tells numeric from categorical columns', () => {
    assert.deepEqual(parseCsv('a,"b, c",d\r\n1,"say ""hi""",\n'), [
      ['a', 'b, c', 'd'],
      ['1', 'say "hi"', ''],
    ]);
    const table = referenceTableFromCsv('x,colour,code\n1.5,red,3\n,blue,4.0\n2,red,3\n', 'ref.csv', ['code']);
    assert.deepEqual(
      table.columns.map((c) => [c.name, c.kind]),
      [
        ['x', 'numeric'],
        ['colour', 'categorical'],
        ['code', 'categorical'],
      ],
    );
    assert.ok(Number.isNaN(table.columns[0]!.numbers![1]!), 'an empty cell is missing');
    assert.deepEqual(table.columns[2]!.texts, ['3', '4', '3'], '4.0 and 4 are one category');
  });

  it('leaves out the target column, compares categories as text and counts the drifted share', () => {
    const reference = referenceTableFromCsv(
      [
        'size,colour,label',
        ...Array.from({ length: 60 }, (_, i) => `${i % 10},${i % 2 ? 'red' : 'blue'},${i % 3}`),
      ].join('\n'),
      'ref.csv',
    );
    const archive = archiveOf({
      'm.jsonl':
        Array.from({ length: 60 }, (_, i) =>
          JSON.stringify({
            ts: i,
            version: 'sha256:a',
            inputs: [
              { name: 'size', shape: [1, 1], datatype: 'FP64', data: [(i % 10) + 20] },
              { name: 'colour', shape: [1, 1], datatype: 'BYTES', data: [i % 2 ? 'red' : 'blue'] },
            ],
          }),
        ).join('\n') + '\n',
    });
    const report = compareToReference(reference, liveSampleFromArchive(archive));
    assert.deepEqual(
      report.features.map((f) => [f.name, f.kind, f.test.name, f.drifted]),
      [
        ['size', 'numeric', 'ks', true],
        ['colour', 'categorical', 'chi2', false],
      ],
    );
    assert.equal(report.share, 0.5);
    assert.equal(report.datasetDrift, true, 'half the features is enough, as in Evidently');
    assert.match(report.warnings.join('\n'), /left out column "label"/);
  });

  it('says how the columns fail to match the model’s inputs', () => {
    const reference = referenceTableFromCsv('a,b,c,d\n1,2,3,4\n', 'ref.csv');
    const archive = archiveOf({ 'm.jsonl': `${line(1, 'sha256:a', [[1, 2]])}\n` });
    assert.throws(
      () => compareToReference(reference, liveSampleFromArchive(archive)),
      (error: unknown) =>
        error instanceof MonitoringError && error.reason === 'feature-mismatch' && /2 features/.test(error.message),
    );
    assert.throws(
      () => compareToReference(reference, liveSampleFromArchive(Buffer.alloc(0))),
      (error: unknown) => error instanceof MonitoringError && error.reason === 'no-live-data',
    );
  });
});
