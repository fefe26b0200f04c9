import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SlurmError } from '../../../src/core/slurm/errors';
import { readSlurmJob, slurmJobPath } from '../../../src/core/slurm/job-record';
import { SlurmCommands } from '../../../src/core/slurm/slurm-commands';
import { TempWorkspace } from '../../fixtures/run-folder-builder';

// slurm.json comes with a run folder, maybe from someone else's repository: a job id that is not
// one must never reach scancel, where `--me` would cancel every job of the user.

describe('Slurm job records read from disk', () => {
  const record = (jobId: string) => ({
    version: 1,
    jobId,
    target: 'cluster',
    submittedAt: '2026-01-01T00:00:00.000Z',
    state: 'RUNNING',
    reason: null,
    node: 'n1',
    exitCode: null,
    signal: null,
    outputFile: null,
    gpus: null,
    updatedAt: '2026-01-01T00:00:00.000Z',
  });

  it('reads a job id of digits (or an array task), and no record with an id that is an option', async () => {
    const ws = new TempWorkspace('trackside-job-');
    try {
      const run = ws.run(1).writeInfo();
      for (const [jobId, ok] of [
        ['4242', true],
        ['4242_3', true],
        ['--me', false],
        ['-u root', false],
        ['4242; scancel --me', false],
      ] as const) {
        writeFileSync(slurmJobPath(run.dir), JSON.stringify(record(jobId)));
        assert.equal((await readSlurmJob(run.dir))?.jobId ?? null, ok ? jobId : null, jobId);
      }
    } finally {
      ws.cleanup();
    }
  });

  it('scancel is never given a job id that reads as an option', async () => {
    const slurm = new SlurmCommands({ env: { PATH: '/nonexistent' } });
    await assert.rejects(
      slurm.cancel('--me'),
      (error: unknown) => error instanceof SlurmError && /not a Slurm job id/.test(error.message),
    );
  });
});
