import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ingestRun } from '../../../src/core/runs/ingest';
import { IndexStore } from '../../../src/core/store/database';
import { queryRuns } from '../../../src/core/store/runs';
import { SweepDefinitionSchema, SweepParamSchema } from '../../../src/core/sweeps/definition';
import { readSweepProgress } from '../../../src/core/sweeps/progress';
import { parseSweepText, SweepFileError } from '../../../src/core/sweeps/sweep-file';
import type { SweepRecord } from '../../../src/core/sweeps/sweep-record';
import { jsonLineOf } from '../../../src/extension/sweeps/json-location';
import { describeSpec, parseParamSpec } from '../../../src/extension/sweeps/param-spec';
import { describeProgress, progressFromIndex } from '../../../src/extension/sweeps/sweep-progress';
import { TempWorkspace } from '../../fixtures/run-folder-builder';

// The vscode-free parts of the editor's sweep features: the quick form's one-line param syntax,
// where a problem in a JSON sweep file is, and the sweep group's progress as the index gives it.

describe('the quick form reads a param sweep written in one line', () => {
  it('reads a list of values with their types', () => {
    assert.deepEqual(parseParamSpec('0.001, 0.01, adam, true'), { values: [0.001, 0.01, 'adam', true] });
  });

  it('reads ranges with log scale, whole numbers and grid steps', () => {
    assert.deepEqual(parseParamSpec('1e-4..1e-1 log steps=4'), { min: 1e-4, max: 0.1, log: true, steps: 4 });
    assert.deepEqual(parseParamSpec('16 .. 128 int'), { min: 16, max: 128, type: 'int' });
    for (const text of ['1e-4..1e-1 log steps=4', '16..128 int', '0.1, 0.2']) {
      const spec = parseParamSpec(text);
      assert.ok(typeof spec !== 'string' && SweepParamSchema.safeParse(spec).success, text);
      assert.deepEqual(parseParamSpec(describeSpec(spec as Exclude<typeof spec, string>)), spec, 'round trip');
    }
  });

  it('says what is wrong with a range the sweep schema refuses', () => {
    assert.equal(parseParamSpec('0..1 log'), 'a log range needs min > 0');
    assert.equal(parseParamSpec('5..1'), 'max must be at least min');
    assert.match(String(parseParamSpec('a..b')), /<min>\.\.<max>/);
    assert.match(String(parseParamSpec(' , ')), /values/);
  });
});

describe('a problem in a JSON sweep file is put on the line of its field', () => {
  const text = `{
  "command": ["python", "train.py"],
  "method": "grid",
  "params": {
    "lr": { "min": 0.1, "max": "high", "steps": 3 }
  },
  "metric": { "name": "loss", "goal": "lowest" }
}
`;

  it('finds the line of each issue the parser reports', () => {
    let issues: SweepFileError['issues'] = [];
    try {
      parseSweepText(text, 'bad.sweep.json');
    } catch (error) {
      assert.ok(error instanceof SweepFileError);
      issues = error.issues;
    }
    const lines = Object.fromEntries(issues.map((i) => [i.path, jsonLineOf(text, i.path)]));
    assert.deepEqual(lines, { 'params.lr.max': 5, 'metric.goal': 7 });
  });

  it('points a missing field at the object that lacks it, and a root problem at the top', () => {
    assert.equal(jsonLineOf(text, 'metric.name.nothing'), 7);
    assert.equal(jsonLineOf(text, '(root)'), 1);
  });
});

describe('a sweep group shows the same progress from the index as from the run folders', () => {
  const ws = new TempWorkspace('trackside-sweep-view-');
  const store = IndexStore.open(':memory:');
  after(() => {
    store.close();
    ws.cleanup();
  });
  const acc = (value: number, step: number) => ({ type: 'metric' as const, key: 'val_acc', value, step, ts: step });
  ws.run(0)
    .writeInfo()
    .writeStatus({ status: 'finished' })
    .events([acc(0.5, 1), acc(0.7, 2)]);
  ws.run(1)
    .writeInfo()
    .writeStatus({ status: 'running', endedAt: null, exitCode: null })
    .events([acc(0.9, 1)]);
  ws.run(2)
    .writeInfo()
    .writeStatus({ status: 'failed', exitCode: 3 })
    .events([acc(0.2, 1)]);
  ws.run(3).writeInfo().writeStatus({ status: 'pending', endedAt: null, exitCode: null });
  const record: SweepRecord = {
    version: 1,
    id: 'sweep-1',
    name: 'lr',
    source: null,
    createdAt: new Date().toISOString(),
    definition: SweepDefinitionSchema.parse({
      command: ['python', 'train.py'],
      method: 'grid',
      params: { lr: { values: [1, 2, 3, 4, 5] } },
      metric: { name: 'val_acc', goal: 'max' },
    }),
    trials: [0, 1, 2, 3, 4].map((index) => ({
      index,
      params: { lr: index + 1 },
      runId: index < 4 ? ws.run(index).id : null,
      error: index < 4 ? null : 'sbatch: error: invalid partition specified: nope',
    })),
  };

  it('counts, values and best trial match readSweepProgress', async () => {
    for (let i = 0; i < 4; i++) await ingestRun(store, ws.root, ws.run(i).id);
    const rows = new Map(queryRuns(store, { limit: 100 }).rows.map((r) => [r.id, r]));
    const fromIndex = progressFromIndex(store, record, rows);
    const fromFolders = await readSweepProgress(ws.root, record);
    assert.deepEqual(fromIndex, fromFolders);
    assert.equal(fromIndex.best?.index, 1, 'the running trial at 0.9 is the best so far');
    assert.equal(describeProgress(fromIndex), '1/5 done, 1 running, 1 queued, 2 failed · best val_acc 0.9 (trial 2)');
  });
});
