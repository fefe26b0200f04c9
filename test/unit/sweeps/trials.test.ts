import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SweepDefinitionSchema, type SweepDefinitionInput } from '../../../src/core/sweeps/definition';
import { expandTrials, trialCommand } from '../../../src/core/sweeps/trials';

function sweep(fields: Partial<SweepDefinitionInput>) {
  return SweepDefinitionSchema.parse({
    command: ['python', 'train.py'],
    method: 'grid',
    metric: { name: 'loss', goal: 'min' },
    params: { lr: { values: [0.1] } },
    ...fields,
  });
}

describe('sweep trials', () => {
  it('a grid tries every combination, the first param varying slowest', () => {
    const trials = expandTrials(
      sweep({ params: { lr: { values: [0.1, 0.01] }, layers: { min: 1, max: 3, type: 'int' } } }),
    );
    assert.deepEqual(
      trials.map((t) => t.params),
      [
        { lr: 0.1, layers: 1 },
        { lr: 0.1, layers: 2 },
        { lr: 0.1, layers: 3 },
        { lr: 0.01, layers: 1 },
        { lr: 0.01, layers: 2 },
        { lr: 0.01, layers: 3 },
      ],
    );
    assert.deepEqual(
      trials.map((t) => t.index),
      [0, 1, 2, 3, 4, 5],
    );
  });

  it('a grid stops at the budget and spaces log ranges evenly in log space', () => {
    const trials = expandTrials(sweep({ budget: 3, params: { lr: { min: 0.0001, max: 0.1, log: true, steps: 4 } } }));
    assert.deepEqual(
      trials.map((t) => t.params.lr),
      [0.0001, 0.001, 0.01],
    );
  });

  it('a random sweep gives the same trials for the same seed, inside the ranges', () => {
    const definition = sweep({
      method: 'random',
      budget: 50,
      seed: 7,
      params: {
        lr: { min: 1e-5, max: 1e-1, log: true },
        width: { min: 16, max: 256, type: 'int' },
        act: { values: ['relu', 'gelu'] },
      },
    });
    const first = expandTrials(definition);
    assert.deepEqual(expandTrials(definition), first);
    assert.equal(first.length, 50);
    for (const { params } of first) {
      assert.ok((params.lr as number) >= 1e-5 && (params.lr as number) <= 1e-1);
      assert.ok(Number.isInteger(params.width) && (params.width as number) >= 16 && (params.width as number) <= 256);
      assert.ok(params.act === 'relu' || params.act === 'gelu');
    }
    // Log sampling: about as many draws below 1e-3 as above (uniform sampling would put ~1% below).
    const small = first.filter((t) => (t.params.lr as number) < 1e-3).length;
    assert.ok(small > 10 && small < 40, `${small} of 50 below 1e-3`);
    assert.notDeepEqual(expandTrials({ ...definition, seed: 8 }), first);
  });

  it('passes each param to the script as --name value', () => {
    assert.deepEqual(trialCommand(['python', 'train.py'], { lr: 0.01, act: 'relu' }), [
      'python',
      'train.py',
      '--lr',
      '0.01',
      '--act',
      'relu',
    ]);
  });
});
