import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { gpuMetricValues, gpusOfRun, parseNvidiaSmiCsv } from '../../../src/core/runs/gpu-metrics';
import { launchRun } from '../../../src/core/runs/launcher';
import { REPO_ROOT, captureTerminal, readAllEvents, tempDir, writeScript } from './run-fixtures';
import { PYTHON } from '../../fixtures/python';

const SAMPLES = join(REPO_ROOT, 'test', 'fixtures', 'stdout', 'nvidia-smi');
const sample = (name: string): string => readFileSync(join(SAMPLES, name), 'utf8');

describe('GPU metrics from nvidia-smi', () => {
  it('reads index, UUID, utilisation, memory and power of each GPU', () => {
    const gpus = parseNvidiaSmiCsv(sample('a100-node.csv'));
    assert.deepEqual(
      gpus.map((g) => [g.index, g.utilPercent, g.memoryMb, g.powerW]),
      [
        [0, 98, 38517, 289.43],
        [1, 97, 38491, 276.18],
        [2, 0, 4, 54.02],
        [3, 0, 4, 53.77],
      ],
    );
    assert.equal(gpus[1]?.uuid, 'GPU-a91c0e5d-2f3b-4d8a-b7c6-5e4f3a2b1c09');
  });

  it('records nothing, not zero, for a field the GPU does not report ([N/A], [Not Supported])', () => {
    const [laptop] = parseNvidiaSmiCsv(sample('laptop-no-power.csv'));
    assert.ok(laptop);
    assert.deepEqual(gpuMetricValues(laptop), [
      ['sys/gpu0/util_percent', 23],
      ['sys/gpu0/memory_mb', 1423],
    ]);
    const [old, busy] = parseNvidiaSmiCsv(sample('mixed-not-supported.csv'));
    assert.ok(old && busy);
    assert.deepEqual(gpuMetricValues(old), [['sys/gpu0/memory_mb', 287]]);
    assert.deepEqual(gpuMetricValues(busy), [
      ['sys/gpu1/util_percent', 61],
      ['sys/gpu1/memory_mb', 9120],
      ['sys/gpu1/power_w', 148.9],
    ]);
  });

  it('keeps the GPUs the run may use: CUDA_VISIBLE_DEVICES by index or UUID prefix, else Slurm’s, else all', () => {
    const gpus = parseNvidiaSmiCsv(sample('a100-node.csv'));
    const chosen = (env: NodeJS.ProcessEnv): number[] => gpusOfRun(gpus, env).map((g) => g.index);
    assert.deepEqual(chosen({}), [0, 1, 2, 3]);
    assert.deepEqual(chosen({ CUDA_VISIBLE_DEVICES: '2,3' }), [2, 3]);
    assert.deepEqual(chosen({ CUDA_VISIBLE_DEVICES: 'GPU-a91c0e5d' }), [1]);
    assert.deepEqual(chosen({ CUDA_VISIBLE_DEVICES: '' }), []);
    assert.deepEqual(chosen({ CUDA_VISIBLE_DEVICES: '-1' }), []);
    assert.deepEqual(chosen({ CUDA_VISIBLE_DEVICES: '1,7,2' }), [1], 'CUDA stops at the first GPU it cannot use');
    assert.deepEqual(chosen({ SLURM_STEP_GPUS: '3', SLURM_JOB_GPUS: '2,3' }), [3]);
    assert.deepEqual(chosen({ SLURM_JOB_GPUS: '0,1' }), [0, 1]);
    assert.deepEqual(chosen({ CUDA_VISIBLE_DEVICES: '0', SLURM_JOB_GPUS: '2' }), [0]);
  });

  describe('through the launcher', () => {
    let dir: string;
    let cleanup: () => void;
    beforeEach(() => ({ dir, cleanup } = tempDir()));
    afterEach(() => cleanup());

    it('records the run’s GPUs when nvidia-smi is on its PATH', async () => {
      // No GPU here: an nvidia-smi that replays a recorded answer, for the exact query the launcher makes.
      const bin = join(dir, 'bin');
      mkdirSync(bin);
      const tool = join(bin, 'nvidia-smi');
      writeFileSync(
        tool,
        [
          '#!/bin/sh',
          '[ "$1" = "--query-gpu=index,uuid,utilization.gpu,memory.used,power.draw" ] || exit 2',
          '[ "$2" = "--format=csv,noheader,nounits" ] || exit 2',
          `cat ${JSON.stringify(join(SAMPLES, 'a100-node.csv'))}`,
        ].join('\n'),
      );
      chmodSync(tool, 0o755);
      writeScript(dir, 'train.py', 'import time\ntime.sleep(1.0)\n');
      const result = await launchRun({
        command: [PYTHON, 'train.py'],
        cwd: dir,
        env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, CUDA_VISIBLE_DEVICES: '1' },
        terminal: captureTerminal(),
        forwardSignals: false,
        systemMetricsIntervalMs: 200,
      });
      assert.equal(result.status, 'finished');
      const { events } = await readAllEvents(result.runDir);
      const gpu = new Map<string, number>();
      for (const e of events) if (e.type === 'metric' && e.key.startsWith('sys/gpu')) gpu.set(e.key, e.value);
      assert.deepEqual(Object.fromEntries(gpu), {
        'sys/gpu1/util_percent': 97,
        'sys/gpu1/memory_mb': 38491,
        'sys/gpu1/power_w': 276.18,
      });
    });
  });
});
