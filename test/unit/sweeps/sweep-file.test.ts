import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sweepJsonSchema } from '../../../src/core/sweeps/json-schema';
import { loadSweepFile, parseSweepText, SweepFileError } from '../../../src/core/sweeps/sweep-file';

const VALID_YAML = `name: lr-search
command: [python, train.py]
method: random
budget: 5
params:
  lr: {min: 0.0001, max: 0.1, log: true}
  batch_size: {values: [32, 64]}
metric: {name: val_loss, goal: min}
target: slurm
compute: gpu
`;

function issuesOf(fn: () => unknown): SweepFileError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof SweepFileError, String(error));
    return error;
  }
  assert.fail('the sweep was accepted');
}

describe('sweep files', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trackside-sweep-file-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a YAML sweep with its ranges, log scale and target, filling defaults', async () => {
    const path = join(dir, 'lr.sweep.yaml');
    await writeFile(path, VALID_YAML);
    const sweep = await loadSweepFile(path);
    assert.equal(sweep.method, 'random');
    assert.deepEqual(sweep.params.lr, { min: 0.0001, max: 0.1, log: true, type: 'float' });
    assert.equal(sweep.seed, 0);
    assert.equal(sweep.target, 'slurm');
    assert.equal(sweep.compute, 'gpu');
  });

  it('reads the same sweep written as JSON', async () => {
    const path = join(dir, 'lr.sweep.json');
    await writeFile(
      path,
      JSON.stringify({
        command: ['python', 'train.py'],
        method: 'grid',
        params: { lr: { values: [0.1, 0.01] } },
        metric: { name: 'loss', goal: 'min' },
      }),
    );
    const sweep = await loadSweepFile(path);
    assert.equal(sweep.target, 'local');
    assert.deepEqual(sweep.params.lr, { values: [0.1, 0.01] });
  });

  it('names the field, the line and the fix for each mistake', () => {
    const text = `command: [python, train.py]
method: random
params:
  lr: {min: 0.1, max: "big"}
  momentum: {min: 0, max: 1, log: true}
metric: {name: loss, goal: lowest}
`;
    const error = issuesOf(() => parseSweepText(text, 'bad.sweep.yaml'));
    assert.equal(error.reason, 'invalid');
    const byPath = new Map(error.issues.map((i) => [i.path, i]));
    assert.equal(byPath.get('params.lr.max')?.line, 4, JSON.stringify(error.issues));
    assert.match(byPath.get('params.lr.max')?.message ?? '', /number/);
    assert.match(byPath.get('params.momentum.min')?.message ?? '', /log range needs min > 0/);
    assert.equal(byPath.get('metric.goal')?.line, 6);
    assert.match(error.message, /metric\.goal/);
  });

  it('asks for a budget in a random sweep and for steps in a float grid', () => {
    const random = issuesOf(() =>
      parseSweepText(
        JSON.stringify({
          command: ['x'],
          method: 'random',
          params: { lr: { min: 0, max: 1 } },
          metric: { name: 'l', goal: 'min' },
        }),
        'r.sweep.json',
      ),
    );
    assert.deepEqual(
      random.issues.map((i) => i.path),
      ['budget'],
    );
    const grid = issuesOf(() =>
      parseSweepText(
        JSON.stringify({
          command: ['x'],
          method: 'grid',
          params: { lr: { min: 0, max: 1 } },
          metric: { name: 'l', goal: 'min' },
        }),
        'g.sweep.json',
      ),
    );
    assert.deepEqual(
      grid.issues.map((i) => i.path),
      ['params.lr.steps'],
    );
  });

  it('reports YAML and JSON syntax errors with where they are', () => {
    const yaml = issuesOf(() => parseSweepText('command: [python\nmethod: grid\n', 'x.sweep.yaml'));
    assert.equal(yaml.reason, 'syntax');
    assert.ok(yaml.issues[0]?.line, 'a YAML syntax error has a line');
    assert.equal(issuesOf(() => parseSweepText('{"command": ', 'x.sweep.json')).reason, 'syntax');
  });

  it('ships a JSON Schema for editor completion that matches the sweep schema', () => {
    const shipped = JSON.parse(readFileSync(resolve(__dirname, '../../../schemas/sweep.schema.json'), 'utf8'));
    assert.deepEqual(
      shipped,
      JSON.parse(JSON.stringify(sweepJsonSchema())),
      'run: npx tsx scripts/generate-sweep-schema.ts',
    );
    assert.deepEqual(Object.keys(shipped.properties).sort(), [
      '$schema',
      'budget',
      'command',
      'compute',
      'concurrency',
      'experiment',
      'method',
      'metric',
      'name',
      'params',
      'seed',
      'target',
    ]);
  });
});
