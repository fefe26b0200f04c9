import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { StopRunError, stopLocalRun } from '../../../src/core/runs/run-control';
import { TempWorkspace } from '../../fixtures/run-folder-builder';
import { isProcessAlive } from '../../../src/core/runs/ingest-status';

// A run folder can come from someone else's repository: its status.json may name any pid. Stop Run
// signals a process only once it is proven to be the run's (its environment names the run).

describe('stopping a local run', () => {
  const ws = new TempWorkspace('trackside-stop-');
  const children: ChildProcess[] = [];
  after(() => {
    for (const child of children) child.kill('SIGKILL');
    ws.cleanup();
  });

  const sleeper = (env: NodeJS.ProcessEnv = {}) => {
    const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore', env: { ...process.env, ...env } });
    children.push(child);
    return child;
  };
  const running = (pid: number, startedAt: string) => ({
    status: 'running' as const,
    pid,
    runnerPid: null,
    startedAt,
    endedAt: null,
    exitCode: null,
  });

  it('refuses to signal an unrelated process that status.json names, and it keeps running', async () => {
    const bystander = sleeper();
    const run = ws.run(1).writeInfo();
    run.writeStatus(running(bystander.pid!, '2020-01-01T00:00:00.000Z'));
    await assert.rejects(
      stopLocalRun(run.dir, 'force'),
      (error: unknown) => error instanceof StopRunError && error.reason === 'not-ours',
    );
    assert.ok(isProcessAlive(bystander.pid!), 'the unrelated process was not killed');
  });

  it('never signals pid 1 or a negative pid, whatever the file says', async () => {
    for (const [index, pid] of [
      [2, 1],
      [3, -1],
    ] as const) {
      const run = ws.run(index).writeInfo();
      run.writeStatus(running(pid, new Date().toISOString()));
      await assert.rejects(
        stopLocalRun(run.dir, 'force'),
        (error: unknown) => error instanceof StopRunError && error.reason === 'not-ours',
      );
    }
  });

  it("stops the run's own training process, which carries its run id", async () => {
    const run = ws.run(4).writeInfo();
    const own = sleeper({ TRACKSIDE_RUN_ID: run.id });
    run.writeStatus(running(own.pid!, '2020-01-01T00:00:00.000Z'));
    const exited = once(own, 'exit');
    await stopLocalRun(run.dir, 'force');
    const [, signal] = await exited;
    assert.equal(signal, 'SIGKILL');
  });
});
