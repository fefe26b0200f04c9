import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { cancelQueuedRun, enqueueRun } from '../../../src/core/queue/local-queue';
import { QueueRunner } from '../../../src/core/queue/queue-runner';
import { QueueStore } from '../../../src/core/queue/queue-store';
import { SweepDefinitionSchema } from '../../../src/core/sweeps/definition';
import { launchSweep } from '../../../src/core/sweeps/launch';
import { readSweepProgress } from '../../../src/core/sweeps/progress';
import { SWEEP_TAG, TRIAL_TAG } from '../../../src/core/sweeps/sweep-record';
import { buildCliBundle, systemPython, trainTinyScript } from '../../fixtures/slurm/cli-bundle';
import { eventually } from '../../fixtures/polling';
import { makeWorkspace, maxOverlap, readRun } from '../../fixtures/slurm/workspace';

const exec = promisify(execFile);

describe('local queue', () => {
  let cli: { dir: string; cliPath: string };
  const cleanups: (() => Promise<void>)[] = [];
  before(async () => {
    cli = await buildCliBundle();
  });
  after(async () => {
    for (const cleanup of cleanups) await cleanup();
    await rm(cli.dir, { recursive: true, force: true });
  });

  async function workspace() {
    const ws = await makeWorkspace('trackside-queue-');
    cleanups.push(ws.cleanup);
    return ws.root;
  }

  /** Queues `count` runs of about a second each that note their start and end in timeline.txt. */
  async function queueSlowRuns(root: string, count: number) {
    const timeline = join(root, 'timeline.txt');
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const command = [systemPython, trainTinyScript, '--sleep', '0.8', '--timeline', timeline];
      ids.push((await enqueueRun({ workspaceRoot: root, cwd: root, command })).id);
    }
    return { ids, timeline };
  }

  function runner(root: string, concurrency: number) {
    const queue = new QueueRunner({ workspaceRoot: root, cliPath: cli.cliPath, concurrency, pollIntervalMs: 100 });
    // A test that fails midway still stops its runner, whose polling would keep the file's process alive.
    cleanups.unshift(() => queue.stop());
    return queue;
  }

  it('shows queued runs as queued at once, in order, and reorders and cancels them', async () => {
    const root = await workspace();
    const items = [];
    for (const lr of [0.1, 0.2, 0.3]) {
      items.push(
        await enqueueRun({
          workspaceRoot: root,
          cwd: root,
          command: [systemPython, trainTinyScript, '--lr', String(lr)],
        }),
      );
    }
    for (const item of items) assert.equal((await readRun(root, item.id)).status?.status, 'queued');
    const store = new QueueStore(root);
    await store.move(items[2]!.id, 0);
    assert.deepEqual(
      (await store.read()).items.map((i) => i.id),
      [items[2]!.id, items[0]!.id, items[1]!.id],
    );
    assert.equal(await cancelQueuedRun(root, items[0]!.id), 'dequeued');
    assert.equal((await readRun(root, items[0]!.id)).status?.status, 'killed');
    assert.deepEqual(
      (await store.read()).items.map((i) => i.id),
      [items[2]!.id, items[1]!.id],
    );
  });

  it('loses no run when several processes queue at the same time', async () => {
    const root = await workspace();
    await Promise.all(
      [1, 2, 3, 4, 5].map((n) =>
        exec(
          process.execPath,
          [cli.cliPath, 'queue', 'add', '--name', `run ${n}`, '--', systemPython, trainTinyScript],
          { cwd: root },
        ),
      ),
    );
    const names = (await new QueueStore(root).read()).items.map((i) => i.name).sort();
    assert.deepEqual(names, ['run 1', 'run 2', 'run 3', 'run 4', 'run 5']);
  });

  it('runs a 4-trial grid sweep with never more than 2 trials at once, grouped, and reports the best', async () => {
    const root = await workspace();
    const timeline = join(root, 'timeline.txt');
    const definition = SweepDefinitionSchema.parse({
      name: 'lr-grid',
      command: [systemPython, trainTinyScript, '--sleep', '0.6', '--timeline', timeline],
      method: 'grid',
      params: { lr: { values: [0.4, 0.2, 0.1, 0.05] } },
      metric: { name: 'loss', goal: 'min' },
    });
    const record = await launchSweep({ workspaceRoot: root, cwd: root, definition });
    const queueRunner = runner(root, 2);
    const seen: number[] = [];
    queueRunner.onDidChange((s) => seen.push(s.running));
    queueRunner.start();
    await queueRunner.whenEmpty();
    await queueRunner.stop();

    const overlap = await maxOverlap(timeline);
    assert.equal(overlap.starts, 4);
    assert.ok(overlap.max <= 2, `${overlap.max} trials trained at the same moment`);
    // The runner started two trials together (whether they overlap in time depends on the machine's load).
    assert.equal(Math.max(...seen), 2);
    const progress = await readSweepProgress(root, record);
    assert.deepEqual(
      { done: progress.done, failed: progress.failed, total: progress.total },
      { done: 4, failed: 0, total: 4 },
    );
    assert.equal(progress.best?.params.lr, 0.1);
    assert.ok(Math.abs(progress.best!.value! - 1 / 3) < 1e-9);
    for (const trial of record.trials) {
      const run = await readRun(root, trial.runId!);
      assert.equal(run.tags[SWEEP_TAG], record.id);
      assert.equal(run.tags[TRIAL_TAG], String(trial.index));
      assert.equal(run.info.params.lr, trial.params.lr);
      assert.equal(run.metrics.filter((m) => m.key === 'loss').length, 3);
    }
  });

  // A queue that wedged on a deleted run would never empty: the timeout makes that a failure.
  it(
    'a run deleted while queued is never started nor brought back; one deleted while running keeps its slot',
    { timeout: 60_000 },
    async () => {
      const root = await workspace();
      const { ids, timeline } = await queueSlowRuns(root, 3);
      const runsDir = join(root, '.trackside', 'runs');
      // The user deletes the second run while it waits, and the first while it trains.
      await rm(join(runsDir, ids[1]!), { recursive: true });
      const queue = runner(root, 1);
      queue.start();
      await eventually(
        'the first run to start',
        async () => (await readRun(root, ids[0]!)).status?.status === 'running',
      );
      // As `rm -rf` would, while the launcher still writes into it: a file it creates meanwhile
      // makes one pass fail with ENOTEMPTY, and the removal tries again.
      await rm(join(runsDir, ids[0]!), { recursive: true, maxRetries: 10, retryDelay: 50 });
      await queue.whenEmpty();
      await queue.stop();
      assert.equal((await readRun(root, ids[2]!)).status?.status, 'finished');
      assert.deepEqual((await readdir(runsDir)).sort(), [ids[2]!], 'the deleted runs stay deleted');
      const overlap = await maxOverlap(timeline);
      assert.equal(overlap.starts, 2, 'the run deleted while queued never started');
      assert.equal(overlap.max, 1, 'the third run waited for the deleted one that was still training');
    },
  );

  it('keeps the queue across a restart: a new runner starts what is left, and nothing twice', async () => {
    const root = await workspace();
    const { ids, timeline } = await queueSlowRuns(root, 3);
    const first = runner(root, 1);
    first.start();
    await eventually('the first run to start', async () => (await readRun(root, ids[0]!)).status?.status === 'running');
    await first.stop();
    // Like a window reload: the first runner is gone, its run still trains, two runs wait in .trackside/queue.json.
    assert.deepEqual(
      (await new QueueStore(root).read()).items.map((i) => i.state),
      ['running', 'queued', 'queued'],
    );
    const second = runner(root, 1);
    second.start();
    await second.whenEmpty();
    await second.stop();
    for (const id of ids) assert.equal((await readRun(root, id)).status?.status, 'finished');
    const overlap = await maxOverlap(timeline);
    assert.equal(overlap.starts, 3, 'each run started once');
    assert.equal(overlap.max, 1, 'the new runner waited for the run the old one had started');
  });

  it('lets only one of two runners (two editor windows) start runs', async () => {
    const root = await workspace();
    const timeline = join(root, 'timeline.txt');
    for (let i = 0; i < 2; i++) {
      await enqueueRun({
        workspaceRoot: root,
        cwd: root,
        command: [systemPython, trainTinyScript, '--timeline', timeline],
      });
    }
    const [a, b] = [runner(root, 1), runner(root, 1)];
    a.start();
    b.start();
    await Promise.all([a.whenEmpty(), b.whenEmpty()]);
    const active = [a.snapshot(), b.snapshot()].filter((s) => s?.active).length;
    await Promise.all([a.stop(), b.stop()]);
    assert.equal(active, 1);
    const overlap = await maxOverlap(timeline);
    assert.deepEqual(overlap, { max: 1, starts: 2 });
  });

  it('cancelling a running queued run stops it and records it as killed', async () => {
    const root = await workspace();
    const item = await enqueueRun({
      workspaceRoot: root,
      cwd: root,
      command: [systemPython, trainTinyScript, '--sleep', '30'],
    });
    const queueRunner = runner(root, 1);
    queueRunner.start();
    await eventually('the run to start', async () => (await readRun(root, item.id)).status?.status === 'running');
    assert.equal(await cancelQueuedRun(root, item.id), 'stopped');
    await queueRunner.whenEmpty();
    await queueRunner.stop();
    assert.equal((await readRun(root, item.id)).status?.status, 'killed');
  });
});
