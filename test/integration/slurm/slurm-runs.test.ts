import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { readSlurmJob } from '../../../src/core/slurm/job-record';
import { SlurmMonitor, type SlurmRunSnapshot } from '../../../src/core/slurm/monitor';
import { SlurmCommands } from '../../../src/core/slurm/slurm-commands';
import { SlurmError } from '../../../src/core/slurm/errors';
import { hasControlCharacter } from '../../../src/core/shell/quoting';
import { submitSlurmRun } from '../../../src/core/slurm/submit';
import { SlurmTargetSchema, type SlurmTarget } from '../../../src/core/slurm/target';
import { buildCliBundle, systemPython, trainTinyScript } from '../../fixtures/slurm/cli-bundle';
import { SlurmCluster } from '../../fixtures/slurm/cluster';
import { canaryPayloads } from '../../fixtures/hostile-strings';
import { eventually } from '../../fixtures/polling';
import { makeWorkspace, readRun } from '../../fixtures/slurm/workspace';

const exec = promisify(execFile);

describe('runs on a real Slurm cluster', () => {
  let cluster: SlurmCluster;
  let cli: { dir: string; cliPath: string };
  let ws: { root: string; cleanup: () => Promise<void> };
  let slurm: SlurmCommands;
  let monitor: SlurmMonitor;
  const seen = new Map<string, SlurmRunSnapshot[]>();
  // The nodes run the launcher with this machine's Node, and python with the interpreter that has the client's needs.
  const target = (fields: Partial<SlurmTarget> = {}): SlurmTarget =>
    SlurmTargetSchema.parse({ node: process.execPath, interpreter: systemPython, ...fields });

  before(async () => {
    [cluster, cli, ws] = await Promise.all([
      SlurmCluster.start(),
      buildCliBundle(),
      makeWorkspace('trackside-slurm-runs-'),
    ]);
    slurm = new SlurmCommands({ env: cluster.env });
    monitor = new SlurmMonitor({ slurm, fastIntervalMs: 100, launcherGraceMs: 1000 });
    monitor.onDidChange((s) => seen.set(s.runId, [...(seen.get(s.runId) ?? []), s]));
    monitor.start();
  });
  after(async () => {
    monitor?.stop();
    await cluster?.stop();
    await ws?.cleanup();
    if (cli) await rm(cli.dir, { recursive: true, force: true });
  });

  function submit(command: string[], fields: Partial<SlurmTarget> = {}) {
    return submitSlurmRun({
      command,
      cwd: ws.root,
      workspaceRoot: ws.root,
      targetName: 'debug-cpu',
      target: target(fields),
      cliPath: cli.cliPath,
      slurm,
      env: cluster.env,
    });
  }

  it('tracks a training run from pending to running to finished, with every metric, job id, node and exit code', async () => {
    const submitted = await submit(['python', trainTinyScript, '--lr', '0.3', '--epochs', '5', '--sleep', '1.5']);
    // At once: a pending run that names its job.
    const pending = await readRun(ws.root, submitted.runId);
    assert.equal(pending.status?.status, 'pending');
    assert.equal(pending.info.placement.kind, 'slurm');
    assert.equal((await readSlurmJob(submitted.runDir))?.jobId, submitted.jobId);
    assert.ok(await monitor.track(submitted.runDir));
    await monitor.whenSettled(submitted.runId);

    const states = (seen.get(submitted.runId) ?? []).map((s) => s.state);
    assert.equal(states[0], 'PENDING');
    assert.ok(states.includes('RUNNING'), states.join(' '));
    assert.equal(states.at(-1), 'COMPLETED');
    const run = await readRun(ws.root, submitted.runId);
    assert.equal(run.status?.status, 'finished');
    assert.equal(run.status?.exitCode, 0);
    assert.deepEqual(run.info.placement, { kind: 'slurm', jobId: submitted.jobId, node: cluster.node });
    assert.deepEqual(
      run.metrics.filter((m) => m.key === 'loss').map((m) => [m.step, Number(m.value.toFixed(6))]),
      [1, 2, 3, 4, 5].map((epoch) => [epoch, Number(((0.3 - 0.1) ** 2 + 1 / epoch).toFixed(6))]),
    );
    assert.match(run.output, /epoch 5 loss/);
    assert.equal(run.info.argv[0], systemPython, "the target's interpreter ran the script");
    const record = await readSlurmJob(submitted.runDir);
    assert.deepEqual([record?.state, record?.node, record?.exitCode], ['COMPLETED', cluster.node, 0]);
  });

  it('cancelling ends the job as CANCELLED in Slurm and the run as killed', async () => {
    const submitted = await submit([systemPython, trainTinyScript, '--sleep', '60']);
    await monitor.track(submitted.runDir);
    await eventually(
      'the run to start on the node',
      async () => (await readRun(ws.root, submitted.runId)).status?.status === 'running',
    );
    await monitor.cancel(submitted.runDir);
    await monitor.whenSettled(submitted.runId);
    const { stdout } = await exec('scontrol', ['show', 'job', submitted.jobId, '-o'], { env: cluster.env });
    assert.match(stdout, /JobState=CANCELLED/);
    const run = await readRun(ws.root, submitted.runId);
    assert.equal(run.status?.status, 'killed');
    assert.equal((await readSlurmJob(submitted.runDir))?.state, 'CANCELLED');
  });

  it('a script that exits 3 ends the run as failed with exit code 3', async () => {
    const submitted = await submit([systemPython, trainTinyScript, '--exit-code', '3']);
    await monitor.track(submitted.runDir);
    await monitor.whenSettled(submitted.runId);
    const run = await readRun(ws.root, submitted.runId);
    assert.equal(run.status?.status, 'failed');
    assert.equal(run.status?.exitCode, 3);
    const record = await readSlurmJob(submitted.runDir);
    assert.deepEqual([record?.state, record?.reason, record?.exitCode], ['FAILED', 'NonZeroExitCode', 3]);
    // Once the controller forgets the job, the completion record still says how it ended.
    const completed = await slurm.completedJobs([submitted.jobId]);
    assert.deepEqual(
      completed.map((j) => [j.state, j.exitCode, j.node]),
      [['FAILED', 3, cluster.node]],
    );
  });

  it("a partition that does not exist gets sbatch's own error, and the run ends as failed with it", async () => {
    const error = await submit([systemPython, trainTinyScript], { partition: 'no-such-partition' }).then(
      () => assert.fail('sbatch accepted the job'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof SlurmError);
    assert.equal(error.reason, 'submit-rejected');
    assert.match(error.message, /invalid partition specified: no-such-partition/);
    const run = await readRun(ws.root, error.runId!);
    assert.equal(run.status?.status, 'failed');
    assert.match(run.status?.message ?? '', /Invalid partition name specified/);
    assert.match(run.output, /invalid partition specified/);
  });

  it('a reloaded window finds the Slurm runs still in flight and follows them to the end', async () => {
    const submitted = await submit([systemPython, trainTinyScript, '--sleep', '1']);
    const reloaded = new SlurmMonitor({ slurm, fastIntervalMs: 100 });
    try {
      // Every earlier run of this workspace has ended: only the new one is followed.
      assert.equal(await reloaded.scan(ws.root), 1);
      assert.deepEqual(
        reloaded.snapshots().map((s) => [s.runId, s.jobId]),
        [[submitted.runId, submitted.jobId]],
      );
      reloaded.start();
      await reloaded.whenSettled(submitted.runId);
    } finally {
      reloaded.stop();
    }
    assert.equal((await readRun(ws.root, submitted.runId)).status?.status, 'finished');
  });

  it("a job that dies before the launcher starts still ends as failed, with Slurm's reason and the job's output", async () => {
    // A node without the launcher's runtime: the batch script fails before any run code starts.
    const submitted = await submit([systemPython, trainTinyScript], { node: '/opt/missing/bin/node' });
    await monitor.track(submitted.runDir);
    await monitor.whenSettled(submitted.runId);
    const run = await readRun(ws.root, submitted.runId);
    assert.equal(run.status?.status, 'failed');
    assert.equal(run.status?.exitCode, 127);
    assert.match(run.status?.message ?? '', new RegExp(`Slurm job ${submitted.jobId} FAILED \\(NonZeroExitCode\\)`));
    assert.match(run.output, /\/opt\/missing\/bin\/node: No such file or directory/);
    assert.deepEqual(run.info.placement, { kind: 'slurm', jobId: submitted.jobId, node: cluster.node });
  });

  it('a hostile experiment, param and argument reach the job as data: nothing extra runs on the node', async () => {
    const canary = join(ws.root, 'canary');
    // What a cloned repository's sweep file or compute.json could hold (line breaks are refused earlier, at the CLI).
    const hostile = canaryPayloads(canary).filter((v) => !hasControlCharacter(v));
    const submitted = await submitSlurmRun({
      command: [systemPython, trainTinyScript, '--epochs', '1', '--', ...hostile],
      cwd: ws.root,
      workspaceRoot: ws.root,
      targetName: 'debug-cpu',
      target: target({ env: { TRACKSIDE_NOTE: hostile.join(' ') } }),
      cliPath: cli.cliPath,
      slurm,
      env: cluster.env,
      experiment: `exp $(touch ${canary}) \`touch ${canary}\``,
      name: `'; touch ${canary}; '`,
      params: { note: `"; touch ${canary}; "` },
    });
    await monitor.track(submitted.runDir);
    await monitor.whenSettled(submitted.runId);
    const run = await readRun(ws.root, submitted.runId);
    assert.equal(run.status?.status, 'finished', run.output);
    assert.deepEqual(run.info.argv.slice(-hostile.length), hostile, 'the arguments arrived as given');
    assert.equal(run.info.name, `'; touch ${canary}; '`);
    assert.equal(existsSync(canary), false, 'no hostile value ran as a command');
  });
});
