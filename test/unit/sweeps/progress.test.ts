import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SweepDefinitionSchema } from '../../../src/core/sweeps/definition';
import { readSweepProgress } from '../../../src/core/sweeps/progress';
import { readSweepRecord, writeSweepRecord, type SweepRecord } from '../../../src/core/sweeps/sweep-record';
import { TempWorkspace } from '../../fixtures/run-folder-builder';

describe('sweep progress', () => {
  const ws = new TempWorkspace('trackside-sweep-progress-');
  after(() => ws.cleanup());

  function loss(value: number, step: number) {
    return { type: 'metric' as const, key: 'loss', value, step, ts: step };
  }

  async function sweepOf(goal: 'min' | 'max'): Promise<SweepRecord> {
    const record: SweepRecord = {
      version: 1,
      id: `sweep-${goal}`,
      name: 'lr',
      source: null,
      createdAt: new Date().toISOString(),
      definition: SweepDefinitionSchema.parse({
        command: ['python', 'train.py'],
        method: 'grid',
        params: { lr: { values: [1, 2, 3, 4, 5, 6] } },
        metric: { name: 'loss', goal },
      }),
      trials: [1, 2, 3, 4, 5, 6].map((lr, index) => ({
        index,
        params: { lr },
        runId: index < 5 ? ws.run(index).id : null,
        error: index < 5 ? null : 'sbatch: error: invalid partition specified: nope',
      })),
    };
    await writeSweepRecord(ws.root, record);
    return readSweepRecord(ws.root, record.id);
  }

  // Trial 0 finished with a final loss of 0.5 (after a lower 0.1 on the way), trial 1 is still
  // running at 0.3, trial 2 finished with NaN, trial 3 failed early at 0.9, trial 4 is queued.
  ws.run(0)
    .writeInfo()
    .writeStatus({ status: 'finished' })
    .events([loss(2, 1), loss(0.1, 2), loss(0.5, 3)]);
  ws.run(1)
    .writeInfo()
    .writeStatus({ status: 'running', endedAt: null, exitCode: null })
    .events([loss(0.3, 1)]);
  ws.run(2)
    .writeInfo()
    .writeStatus({ status: 'finished' })
    .events([loss(1, 1)])
    .raw('{"type":"metric","key":"loss","value":"NaN","step":2,"ts":2}\n');
  ws.run(3)
    .writeInfo()
    .writeStatus({ status: 'failed', exitCode: 3 })
    .events([loss(0.9, 1)]);
  ws.run(4).writeInfo().writeStatus({ status: 'queued', endedAt: null, exitCode: null });

  it('counts done, running, queued and failed trials (a refused submission counts as failed)', async () => {
    const progress = await readSweepProgress(ws.root, await sweepOf('min'));
    assert.deepEqual(
      {
        total: progress.total,
        done: progress.done,
        running: progress.running,
        queued: progress.queued,
        failed: progress.failed,
      },
      { total: 6, done: 2, running: 1, queued: 1, failed: 2 },
    );
    assert.deepEqual(
      progress.trials.map((t) => t.value),
      [0.5, 0.3, null, 0.9, null, null],
    );
  });

  it('reports the best trial so far by the last value each trial logged, for either goal', async () => {
    const min = await readSweepProgress(ws.root, await sweepOf('min'));
    assert.equal(min.best?.index, 1);
    assert.equal(min.best?.value, 0.3);
    assert.deepEqual(min.best?.params, { lr: 2 });
    const max = await readSweepProgress(ws.root, await sweepOf('max'));
    assert.equal(max.best?.index, 3);
    assert.equal(max.best?.runId, ws.run(3).id);
  });
});
