import { eventually } from '../../fixtures/polling';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { launchRun } from '../../../src/core/runs/launcher';
import { readRunInfo, readRunStatus } from '../../../src/core/runs/reader';
import { captureTerminal, git, initRepo, readAllEvents, tempDir, writeScript } from './run-fixtures';
import { PYTHON } from '../../fixtures/python';

describe('launchRun', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('records git state: commit, branch, dirty patch, untracked files, remote without credentials', async () => {
    initRepo(dir);
    git(dir, 'remote', 'add', 'origin', 'https://alice:s3cr3t-token@git.example.com/team/model.git');
    writeFileSync(join(dir, 'tracked.txt'), 'first\nchanged line\n');
    writeFileSync(join(dir, 'notes.md'), 'untracked\n');
    const commit = git(dir, 'rev-parse', 'HEAD').trim();
    const terminal = captureTerminal();
    const result = await launchRun({ command: ['true'], cwd: dir, terminal, forwardSignals: false });

    const info = await readRunInfo(result.runDir);
    assert.equal(info.git?.commit, commit);
    assert.equal(info.git?.branch, 'main');
    assert.equal(info.git?.dirty, true);
    assert.deepEqual(info.git?.untracked, ['notes.md']);
    assert.equal(info.git?.remote, 'https://git.example.com/team/model.git');
    assert.doesNotMatch(readFileSync(join(result.runDir, 'run.json'), 'utf8'), /s3cr3t/);
    const patch = readFileSync(join(result.runDir, 'git.patch'), 'utf8');
    assert.match(patch, /\+changed line/);
    // The patch applies to the recorded commit: the run can be reproduced.
    git(dir, 'stash', '-q');
    git(dir, 'apply', '--check', join(result.runDir, 'git.patch'));
  });

  it('outside a git repository records git as null and writes no patch', async () => {
    const result = await launchRun({ command: ['true'], cwd: dir, terminal: captureTerminal(), forwardSignals: false });
    const info = await readRunInfo(result.runDir);
    assert.equal(info.git, null);
    assert.equal(existsSync(join(result.runDir, 'git.patch')), false);
    assert.equal(info.experiment, 'true');
  });

  it('runs a Python script with the run env, tees output, parses metrics and records params', async () => {
    writeScript(
      dir,
      'train_toy.py',
      [
        'import os, sys',
        'print("run", os.environ["TRACKSIDE_RUN_ID"], os.environ["PYTHONUNBUFFERED"])',
        'import trackside',
        'for epoch in range(1, 4):',
        '    print(f"epoch {epoch} loss={1/epoch:.3f} val_acc={0.8 + epoch/100:.2f}")',
        'print("warming up", file=sys.stderr)',
      ].join('\n'),
    );
    const terminal = captureTerminal();
    const result = await launchRun({
      command: [PYTHON, 'train_toy.py', '--lr', '0.1', '--epochs=3', '--verbose'],
      cwd: dir,
      params: { seed: 7 },
      terminal,
      forwardSignals: false,
    });
    assert.equal(result.status, 'finished');
    assert.equal(result.exitCode, 0);
    const info = await readRunInfo(result.runDir);
    assert.equal(info.experiment, 'train_toy');
    assert.deepEqual(info.params, { lr: 0.1, epochs: 3, verbose: true, seed: 7 });
    assert.equal(info.environment.interpreter, PYTHON);
    assert.match(info.environment.interpreterVersion ?? '', /^3\./);
    assert.ok(info.environment.packages.numpy, 'numpy version recorded');
    assert.ok(info.environment.packages.sklearn, 'scikit-learn recorded under its import name');

    assert.match(terminal.text().out, new RegExp(`run ${result.runId} 1`));
    assert.match(terminal.text().err, /warming up/);
    const log = readFileSync(join(result.runDir, 'output.log'), 'utf8');
    assert.match(log, /epoch 3 loss=0.333/);
    assert.match(log, /warming up/);

    const { events } = await readAllEvents(result.runDir);
    const losses = events.flatMap((e) => (e.type === 'metric' && e.key === 'loss' ? [[e.step, e.value]] : []));
    assert.deepEqual(losses, [
      [1, 1],
      [2, 0.5],
      [3, 0.333],
    ]);
    const status = await readRunStatus(result.runDir);
    assert.equal(status?.status, 'finished');
    assert.equal(status?.exitCode, 0);
    assert.ok(status?.endedAt);
  });

  it('a metric both printed and logged by the client is recorded once, from the client', async () => {
    writeScript(
      dir,
      'both.py',
      [
        'import time, trackside as ts',
        'for step in range(5):',
        '    loss = 1.0 / (step + 1)',
        '    print(f"step {step} loss={loss:.4f} acc={step / 10:.2f}")',
        '    ts.log_metric("loss", loss, step=step)',
        // Spread over several flush windows of the launcher, so later batches are checked too.
        '    time.sleep(0.25)',
      ].join('\n'),
    );
    const result = await launchRun({
      command: [PYTHON, 'both.py'],
      cwd: dir,
      terminal: captureTerminal(),
      forwardSignals: false,
    });
    const { events } = await readAllEvents(result.runDir);
    const metrics = events.filter((e) => e.type === 'metric');
    const loss = metrics.filter((e) => e.key === 'loss');
    assert.equal(loss.length, 5, 'five loss points, not ten');
    assert.ok(
      loss.every((e) => e.source === undefined),
      'all from the client',
    );
    const acc = metrics.filter((e) => e.key === 'acc');
    assert.equal(acc.length, 5, 'keys only printed still come from stdout');
    assert.ok(acc.every((e) => e.source === 'stdout'));
  });

  it('a command that does not exist ends as a failed run with exit code 127 and a message', async () => {
    const terminal = captureTerminal();
    const result = await launchRun({
      command: ['no-such-trainer-xyz', 'x'],
      cwd: dir,
      terminal,
      forwardSignals: false,
    });
    assert.equal(result.status, 'failed');
    assert.equal(result.exitCode, 127);
    const message = 'command not found: no-such-trainer-xyz — check the interpreter path';
    assert.match(terminal.text().err, new RegExp(message));
    assert.match(readFileSync(join(result.runDir, 'output.log'), 'utf8'), new RegExp(message));
    const status = await readRunStatus(result.runDir);
    assert.equal(status?.status, 'failed');
    assert.equal(status?.exitCode, 127);
    assert.match(status?.message ?? '', /command not found/);
  });

  it('a crashing script ends as failed, with its traceback in output.log and its error in the status', async () => {
    writeScript(dir, 'crash.py', 'print("starting")\nraise ValueError("bad batch shape")\n');
    const result = await launchRun({
      command: [PYTHON, 'crash.py'],
      cwd: dir,
      terminal: captureTerminal(),
      forwardSignals: false,
    });
    assert.equal(result.status, 'failed');
    assert.equal(result.exitCode, 1);
    const log = readFileSync(join(result.runDir, 'output.log'), 'utf8');
    assert.match(log, /Traceback \(most recent call last\)/);
    assert.match(log, /ValueError: bad batch shape/);
    const status = await readRunStatus(result.runDir);
    assert.equal(status?.message, 'exited with code 1: ValueError: bad batch shape');
  });

  it('an interrupt reaches the whole process group and the run ends killed', async () => {
    // The script starts a grandchild that would outlive its parent if only the parent were signalled.
    writeScript(
      dir,
      'tree.py',
      [
        'import subprocess, sys, time',
        'child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])',
        'print("pid", child.pid, flush=True)',
        'time.sleep(60)',
      ].join('\n'),
    );
    const terminal = captureTerminal();
    let grandchild = 0;
    const result = await launchRun({
      command: [PYTHON, 'tree.py'],
      cwd: dir,
      terminal,
      forwardSignals: false,
      onStarted: (run) => {
        void eventually('the script to start', () => /pid (\d+)/.test(terminal.text().out), 15_000).then(() => {
          grandchild = Number(/pid (\d+)/.exec(terminal.text().out)?.[1]);
          run.interrupt('SIGINT');
        });
      },
    });
    assert.equal(result.status, 'killed');
    assert.equal(result.exitCode, 130);
    const status = await readRunStatus(result.runDir);
    assert.equal(status?.status, 'killed');
    assert.match(status?.message ?? '', /Ctrl-C/);
    await eventually('the grandchild to stop', () => !isAlive(grandchild), 5000);
  });

  it('a child killed with SIGKILL mid-run ends killed with every line it wrote readable', async () => {
    writeScript(
      dir,
      'steady.py',
      [
        'import os, time, trackside as ts',
        'for step in range(100000):',
        '    ts.log_metric("loss", 1.0 / (step + 1), step=step)',
        '    if step == 500:',
        '        print("halfway", os.getpid(), flush=True)',
        '        time.sleep(60)',
      ].join('\n'),
    );
    const terminal = captureTerminal();
    const result = await launchRun({
      command: [PYTHON, 'steady.py'],
      cwd: dir,
      terminal,
      forwardSignals: false,
      onStarted: () => {
        void eventually('the script to log', () => /halfway (\d+)/.test(terminal.text().out), 15_000).then(() => {
          process.kill(Number(/halfway (\d+)/.exec(terminal.text().out)?.[1]), 'SIGKILL');
        });
      },
    });
    assert.equal(result.status, 'killed');
    assert.equal(result.signal, 'SIGKILL');
    assert.equal(result.exitCode, 137);
    const { events, malformed } = await readAllEvents(result.runDir);
    assert.equal(malformed, 0);
    const steps = events.flatMap((e) => (e.type === 'metric' ? [e.step] : []));
    assert.deepEqual(
      steps,
      Array.from({ length: 501 }, (_, i) => i),
    );
  });

  it('passes the exit code of a failing command through', async () => {
    const result = await launchRun({
      command: ['sh', '-c', 'exit 3'],
      cwd: dir,
      terminal: captureTerminal(),
      forwardSignals: false,
    });
    assert.equal(result.status, 'failed');
    assert.equal(result.exitCode, 3);
  });

  it('a run deleted while it trains ends with the command’s own exit code and says so, without a crash', async () => {
    const terminal = captureTerminal();
    const result = await launchRun({
      // The user deletes the run (its folder) while it trains; the training goes on and exits 0.
      command: ['sh', '-c', 'echo epoch 1 loss=0.5; rm -rf "$TRACKSIDE_RUN_DIR"; echo epoch 2 loss=0.4'],
      cwd: dir,
      terminal,
      forwardSignals: false,
    });
    assert.deepEqual([result.status, result.exitCode], ['finished', 0]);
    assert.equal(existsSync(result.runDir), false, 'the deleted run is not brought back');
    assert.match(terminal.text().out, /epoch 2 loss=0\.4/);
    assert.match(terminal.text().err, /was deleted while it ran \(its folder is gone\); nothing more is recorded/);
  });

  it('a script that logs after its run was deleted creates no new run in its place', async () => {
    // The client inside a launched run must not start a run of its own when the launcher's folder is gone.
    writeScript(
      dir,
      'deleted.py',
      [
        'import os, shutil, trackside as ts',
        'ts.log_metric("loss", 0.5, step=0)',
        'shutil.rmtree(os.environ["TRACKSIDE_RUN_DIR"])',
        'ts.log_metric("loss", 0.4, step=1)',
        'ts.log_params({"lr": 0.1})',
      ].join('\n'),
    );
    const result = await launchRun({
      command: [PYTHON, 'deleted.py'],
      cwd: dir,
      terminal: captureTerminal(),
      forwardSignals: false,
    });
    assert.deepEqual([result.status, result.exitCode], ['finished', 0]);
    const runs = join(dir, '.trackside', 'runs');
    assert.deepEqual(existsSync(runs) ? readdirSync(runs) : [], [], 'no run folder appeared');
  });

  it('puts the run under the nearest .trackside above the working folder', async () => {
    const nested = join(dir, 'src', 'models');
    await import('node:fs/promises').then((fs) =>
      fs.mkdir(join(dir, '.trackside'), { recursive: true }).then(() => fs.mkdir(nested, { recursive: true })),
    );
    const result = await launchRun({
      command: ['true'],
      cwd: nested,
      terminal: captureTerminal(),
      forwardSignals: false,
    });
    assert.equal(join(result.runDir, '..', '..', '..'), dir);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
