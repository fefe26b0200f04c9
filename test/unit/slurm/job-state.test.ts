import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeExitCode,
  decodeWaitStatus,
  parseSacctLines,
  parseSqueueJobs,
  runStatusOfEndedJob,
  shellExitCode,
} from '../../../src/core/slurm/job-state';

// Lines as Slurm 22.05 prints them (`squeue -h -t all -j … -O SQUEUE_FORMAT`).
const SQUEUE = [
  '12|FAILED|NonZeroExitCode|node7|768|',
  '13|PENDING|Priority|n/a|0|',
  '14|CANCELLED|None|node7|15|',
  '',
].join('\n');

describe('Slurm job state', () => {
  it('reads state, reason, node and exit code from squeue', () => {
    const [failed, pending, cancelled] = parseSqueueJobs(SQUEUE);
    assert.deepEqual(failed, {
      jobId: '12',
      state: 'FAILED',
      reason: 'NonZeroExitCode',
      node: 'node7',
      exitCode: 3,
      signal: 0,
    });
    assert.deepEqual([pending?.reason, pending?.node], ['Priority', null]);
    assert.deepEqual([cancelled?.reason, cancelled?.signal, shellExitCode(cancelled!)], [null, 15, 143]);
  });

  it('reads a state with flags as its base state', () => {
    assert.equal(parseSqueueJobs('15|COMPLETING+|None|node7|0|\n')[0]?.state, 'COMPLETING');
  });

  it('decodes exit codes the way a shell reports them', () => {
    assert.deepEqual(decodeExitCode('3:0'), { exitCode: 3, signal: 0 });
    assert.equal(shellExitCode(decodeExitCode('3:0')), 3);
    assert.equal(shellExitCode(decodeExitCode('0:15')), 143);
    assert.equal(shellExitCode(decodeExitCode('0:9')), 137);
    assert.deepEqual(decodeExitCode(''), { exitCode: null, signal: null });
    assert.deepEqual(decodeWaitStatus(768), { exitCode: 3, signal: 0 });
    assert.deepEqual(decodeWaitStatus(9), { exitCode: 0, signal: 9 });
  });

  it('maps how a job ended to how its run ended', () => {
    assert.equal(runStatusOfEndedJob('COMPLETED'), 'finished');
    assert.equal(runStatusOfEndedJob('CANCELLED'), 'killed');
    for (const state of ['FAILED', 'OUT_OF_MEMORY', 'TIMEOUT', 'NODE_FAIL', 'BOOT_FAIL']) {
      assert.equal(runStatusOfEndedJob(state), 'failed', state);
    }
  });

  it('reads the job-completion record for jobs the controller forgot', () => {
    const jobs = parseSacctLines('21|CANCELLED by 0|0:15|node7\n22|OUT_OF_MEMORY|0:125|node8\n');
    assert.deepEqual(
      jobs.map((j) => [j.jobId, j.state, j.node, shellExitCode(j)]),
      [
        ['21', 'CANCELLED', 'node7', 143],
        ['22', 'OUT_OF_MEMORY', 'node8', 253],
      ],
    );
  });
});
