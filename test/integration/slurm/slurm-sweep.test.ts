import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { readSweepProgress } from '../../../src/core/sweeps/progress';
import { listSweepIds, readSweepRecord, SWEEP_TAG, TRIAL_TAG } from '../../../src/core/sweeps/sweep-record';
import { readSlurmJob } from '../../../src/core/slurm/job-record';
import { buildCliBundle, systemPython, trainTinyScript } from '../../fixtures/slurm/cli-bundle';
import { SlurmCluster } from '../../fixtures/slurm/cluster';
import { makeWorkspace, readRun } from '../../fixtures/slurm/workspace';

const exec = promisify(execFile);

describe('sweeps and submissions on a real Slurm cluster, through the CLI', () => {
  let cluster: SlurmCluster;
  let cli: { dir: string; cliPath: string };
  let ws: { root: string; cleanup: () => Promise<void> };

  before(async () => {
    [cluster, cli, ws] = await Promise.all([
      SlurmCluster.start(),
      buildCliBundle(),
      makeWorkspace('trackside-slurm-sweep-'),
    ]);
    await writeFile(
      join(ws.root, '.trackside/compute.json'),
      JSON.stringify({
        'debug-cpu': { partition: 'debug', cpus: 1, time: '10', node: process.execPath, interpreter: systemPython },
        nowhere: { partition: 'no-such-partition', node: process.execPath },
      }),
    );
  });
  after(async () => {
    await cluster?.stop();
    await ws?.cleanup();
    if (cli) await rm(cli.dir, { recursive: true, force: true });
  });

  function trackside(args: string[]) {
    return exec(process.execPath, [cli.cliPath, ...args], { cwd: ws.root, env: cluster.env }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
  }

  it('runs a 4-trial grid sweep as Slurm jobs, groups the runs and reports the best trial', async () => {
    await writeFile(
      join(ws.root, 'lr.sweep.yaml'),
      [
        'name: lr-grid',
        `command: [python, ${trainTinyScript}]`,
        'method: grid',
        'params:',
        '  lr: {values: [0.4, 0.2, 0.1, 0.05]}',
        'metric: {name: loss, goal: min}',
        'target: slurm',
        'compute: debug-cpu',
        '',
      ].join('\n'),
    );
    const result = await trackside(['sweep', 'lr.sweep.yaml']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /4\/4 done, 0 running, 0 queued, 0 failed/);
    assert.match(result.stdout, /best: trial #3 loss=0\.333\d* \{"lr":0\.1\}/);

    const [sweepId] = await listSweepIds(ws.root);
    const record = await readSweepRecord(ws.root, sweepId!);
    const progress = await readSweepProgress(ws.root, record);
    assert.equal(progress.best?.params.lr, 0.1);
    const jobIds = new Set<string>();
    for (const trial of record.trials) {
      const run = await readRun(ws.root, trial.runId!);
      assert.equal(run.status?.status, 'finished');
      assert.equal(run.tags[SWEEP_TAG], record.id);
      assert.equal(run.tags[TRIAL_TAG], String(trial.index));
      assert.equal(run.info.placement.kind, 'slurm');
      assert.equal(run.info.placement.node, cluster.node);
      jobIds.add(run.info.placement.jobId!);
      assert.equal((await readSlurmJob(run.dir))?.state, 'COMPLETED');
    }
    assert.equal(jobIds.size, 4, 'one job per trial');
    const status = await trackside(['sweep', 'status']);
    assert.match(status.stdout, new RegExp(`${record.id} lr-grid: 4/4 done`));
    assert.match(status.stdout, /best: trial #3/);
  });

  it('run --slurm follows the run to its end and exits with its exit code, like a local run', async () => {
    const result = await trackside([
      'run',
      '--slurm',
      'debug-cpu',
      '--',
      'python',
      trainTinyScript,
      '--exit-code',
      '3',
    ]);
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stdout, /submitted as Slurm job \d+ \(debug-cpu\)/);
    assert.match(result.stdout, /FAILED \(NonZeroExitCode\) on \S+ exit 3 → failed/);
  });

  it("submit shows sbatch's error for a partition that does not exist", async () => {
    const result = await trackside(['submit', '--slurm', 'nowhere', '--', 'python', trainTinyScript]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /sbatch: error: invalid partition specified: no-such-partition/);
  });
});
