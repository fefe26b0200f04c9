import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { readSlurmJob } from '../../../src/core/slurm/job-record';
import { SlurmMonitor } from '../../../src/core/slurm/monitor';
import { SlurmCommands } from '../../../src/core/slurm/slurm-commands';
import { submitSlurmRun } from '../../../src/core/slurm/submit';
import { SlurmTargetSchema } from '../../../src/core/slurm/target';
import { buildCliBundle, systemPython, trainTinyScript } from '../../fixtures/slurm/cli-bundle';
import { SlurmCluster } from '../../fixtures/slurm/cluster';
import { makeWorkspace, readRun } from '../../fixtures/slurm/workspace';

// The fake devices are made with mknod, which needs root.
const skip = process.getuid?.() === 0 ? false : 'fake GPU devices need root (mknod)';

describe('GPU requests on a real Slurm cluster with (fake) GPU devices', { skip }, () => {
  let cluster: SlurmCluster;
  let cli: { dir: string; cliPath: string };
  let ws: { root: string; cleanup: () => Promise<void> };

  before(async () => {
    [cluster, cli, ws] = await Promise.all([
      SlurmCluster.start({ gpus: 2 }),
      buildCliBundle(),
      makeWorkspace('trackside-slurm-gpu-'),
    ]);
  });
  after(async () => {
    await cluster?.stop();
    await ws?.cleanup();
    if (cli) await rm(cli.dir, { recursive: true, force: true });
  });

  for (const request of [{ gpus: 1 }, { gres: 'gpu:2' }]) {
    it(`a job that asks for ${JSON.stringify(request)} sees its GPUs in CUDA_VISIBLE_DEVICES`, async () => {
      const slurm = new SlurmCommands({ env: cluster.env });
      const submitted = await submitSlurmRun({
        command: [systemPython, trainTinyScript],
        cwd: ws.root,
        workspaceRoot: ws.root,
        targetName: 'gpu',
        target: SlurmTargetSchema.parse({ node: process.execPath, ...request }),
        cliPath: cli.cliPath,
        slurm,
        env: cluster.env,
      });
      const monitor = new SlurmMonitor({ slurm, fastIntervalMs: 100 });
      await monitor.track(submitted.runDir);
      monitor.start();
      await monitor.whenSettled(submitted.runId);
      monitor.stop();
      const run = await readRun(ws.root, submitted.runId);
      assert.equal(run.status?.status, 'finished', run.output);
      const expected = 'gpus' in request ? '0' : '0,1';
      assert.equal(run.tags.cuda_visible_devices, expected);
      assert.equal((await readSlurmJob(submitted.runDir))?.gpus, 'gpus' in request ? '1' : 'gpu:2');
    });
  }
});
