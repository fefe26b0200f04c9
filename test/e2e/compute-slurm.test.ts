import { PYTHON } from '../fixtures/python';
import { runIdNamed } from '../fixtures/run-lookup';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach } from 'node:test';
import { promisify } from 'node:util';
import type { Locator } from 'playwright-core';
import { SlurmCluster } from '../fixtures/slurm/cluster';
import { computeScript, computeWorkspace, holdRuns, releaseRuns } from './fixtures/compute-workspace';
import {
  clickCodeLens,
  inlineAction,
  escapeRegExp,
  nameOf,
  openFile,
  pickQuickItem,
  runCommandAndPick,
  waitForRow,
} from './fixtures/compute-steps';
import { workbenchSuite } from './harness/suite';
import type { Workbench } from './harness/workbench';
import { rowTooltip, stepTimeout } from './harness/workbench';

// Issue 9 on a real single-node Slurm cluster (munge + slurmctld + slurmd under a temp folder):
// "Run on Slurm…" from the CodeLens submits the script with sbatch, and the Experiments view follows
// the run from pending (with its job id and Slurm's reason) to running to finished; cancel from the
// view ends the job; a partition that does not exist gets sbatch's own words shown.

const exec = promisify(execFile);
const workspace = computeWorkspace();
afterEach(() => releaseRuns(workspace));
// A sweep whose trials run as one Slurm job each on the "debug" target.
writeFileSync(
  join(workspace.path, 'cluster.sweep.json'),
  `${JSON.stringify(
    {
      name: 'cluster-lr',
      command: ['python', computeScript],
      method: 'grid',
      params: { lr: { values: [0.1, 0.4] }, seconds: { values: [1] } },
      metric: { name: 'val_acc', goal: 'max' },
      target: 'slurm',
      compute: 'debug',
    },
    null,
    2,
  )}\n`,
);
let cluster: SlurmCluster | undefined;

const suite = workbenchSuite('compute-slurm', async () => {
  cluster = await SlurmCluster.start();
  return {
    workspace: workspace.path,
    settings: {
      'trackside.python.interpreter': PYTHON,
      'trackside.compute': [
        // The launcher runs on the node with this Node.js (the node shares this machine's filesystem).
        { name: 'debug', partition: 'debug', time: '10', cpus: 1, node: process.execPath },
        { name: 'nowhere', partition: 'no-such-partition', node: process.execPath },
      ],
    },
    // The extension host runs sbatch, squeue and scancel against the test cluster.
    env: { SLURM_CONF: cluster.env.SLURM_CONF! },
  };
});

after(async () => {
  await cluster?.stop();
  workspace.dispose();
});

function runsDir(): string {
  return join(workspace.path, '.trackside', 'runs');
}

function runFile<T>(name: string, file: string): T {
  const id = runIdNamed(runsDir(), name);
  if (id === undefined) throw new Error(`no run named ${name}`);
  return JSON.parse(readFileSync(join(runsDir(), id, file), 'utf8')) as T;
}

interface SlurmJob {
  jobId: string;
  state: string;
  node: string | null;
  exitCode: number | null;
}

/** Opens or closes the partition: jobs submitted to a DOWN partition wait (PENDING, PartitionDown). */
async function setPartition(state: 'UP' | 'DOWN'): Promise<void> {
  await exec('scontrol', ['update', 'PartitionName=debug', `State=${state}`], { env: cluster!.env });
}

async function jobState(jobId: string): Promise<string> {
  const { stdout } = await exec('scontrol', ['show', 'job', jobId, '-o'], { env: cluster!.env });
  return /JobState=(\S+)/.exec(stdout)?.[1] ?? '';
}

async function experimentsView(workbench: Workbench): Promise<Locator> {
  return workbench.openView('Trackside', 'Experiments');
}

function runRow(view: Locator, name: string): Locator {
  return view.locator(`.monaco-list-row[aria-label^="${name}, "]`);
}

suite.test('Run on Slurm from the CodeLens: pending with its job id, then running, then finished', async (session) => {
  const { workbench, page } = session;
  await workbench.open();
  const view = await experimentsView(workbench);
  await openFile(page, computeScript);
  await setPartition('DOWN');

  await clickCodeLens(page, 'Run on Slurm…');
  await pickQuickItem(page, 'debug');
  const name = nameOf(await waitForRow(view, 2, /^[^,]+, pending/));
  const row = runRow(view, name);
  await row.locator('.label-description', { hasText: /job \d+ · pending \(PartitionDown\)/ }).waitFor();
  await row.locator('.codicon-watch').waitFor();
  await workbench
    .statusBar()
    .getByText(/1 pending/)
    .waitFor({ timeout: stepTimeout });
  await workbench.screenshot('compute-slurm--pending');

  // Held once it starts, so the view is seen showing it running however slow the machine.
  holdRuns(workspace);
  await setPartition('UP');
  await waitForRow(view, 2, new RegExp(`^${escapeRegExp(name)}, running`), 20_000);
  releaseRuns(workspace);
  const finished = await waitForRow(view, 2, new RegExp(`^${escapeRegExp(name)}, finished, val_acc`), 30_000);
  assert.match(finished, /val_acc 0\.7\d*$/, 'the metric the job logged reached the view');

  // Where it ran, in the tooltip: the Slurm job on the cluster's node.
  const hover = await rowTooltip(page, row, 'Slurm job');
  assert.match(await hover.innerText(), new RegExp(`node\\s+${escapeRegExp(cluster!.node)}`));
  await workbench.screenshot('compute-slurm--finished');

  const job = runFile<SlurmJob>(name, 'slurm.json');
  assert.equal(job.node, cluster!.node);
  assert.equal(await jobState(job.jobId), 'COMPLETED');
  const status = runFile<{ status: string; exitCode: number }>(name, 'status.json');
  assert.deepEqual([status.status, status.exitCode], ['finished', 0]);
});

suite.test('Cancel on a pending Slurm run ends the job (CANCELLED) and the run as killed', async (session) => {
  const { workbench, page } = session;
  const view = await experimentsView(workbench);
  await openFile(page, computeScript);
  await setPartition('DOWN');
  try {
    const before = (await view.locator('.monaco-list-row[aria-level="2"]').allInnerTexts()).length;
    await runCommandAndPick(page, 'Trackside: Run Current File on Slurm…', 'debug');
    const name = nameOf(await waitForRow(view, 2, /^[^,]+, pending/));
    assert.ok((await view.locator('.monaco-list-row[aria-level="2"]').count()) > before);
    await inlineAction(runRow(view, name), 'Cancel Run');
    await waitForRow(view, 2, new RegExp(`^${escapeRegExp(name)}, killed`), 20_000);
    const job = runFile<SlurmJob>(name, 'slurm.json');
    assert.equal(await jobState(job.jobId), 'CANCELLED');
  } finally {
    await setPartition('UP');
  }
});

suite.test('a partition Slurm does not have: sbatch’s error is shown and the run ends as failed', async (session) => {
  const { workbench, page } = session;
  const view = await experimentsView(workbench);
  await openFile(page, computeScript);
  await runCommandAndPick(page, 'Trackside: Run Current File on Slurm…', 'nowhere');
  const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'Slurm refused the job' });
  await toast.waitFor({ timeout: stepTimeout });
  assert.match(await toast.innerText(), /invalid partition/i, 'sbatch’s own message is in the notification');
  await waitForRow(view, 2, /^[^,]+, failed/);
  await workbench.screenshot('compute-slurm--rejected');
});

suite.test('a sweep file with target slurm runs one job per trial, grouped with its best trial', async (session) => {
  const { workbench, page } = session;
  const view = await experimentsView(workbench);
  await openFile(page, 'cluster.sweep.json');
  await workbench.runCommand('Trackside: Run Sweep…');
  const done = await waitForRow(view, 2, /^sweep cluster-lr, 2\/2 done/, 60_000);
  assert.match(done, /best val_acc 0\.91\d* \(trial 2\)$/, done);
  for (const trial of ['cluster-lr #1', 'cluster-lr #2']) {
    const job = runFile<SlurmJob>(trial, 'slurm.json');
    assert.equal(await jobState(job.jobId), 'COMPLETED', `${trial} ran as Slurm job ${job.jobId}`);
  }
  await workbench.screenshot('compute-slurm--sweep');
});
