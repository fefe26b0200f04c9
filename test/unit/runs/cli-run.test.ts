import { eventually } from '../../fixtures/polling';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { readRunInfo, readRunStatus } from '../../../src/core/runs/reader';
import type { ArtifactEvent } from '../../../src/core/runs/protocol';
import { REPO_ROOT, onlyRunDir, readAllEvents, runCli, tempDir, writeScript } from './run-fixtures';
import { PYTHON } from '../../fixtures/python';

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

describe('trackside run (CLI)', () => {
  let workspace: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir: workspace, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('runs the scikit-learn demo: params, metric curve, input and model with correct hashes', async () => {
    const result = await runCli(['run', '--workspace', workspace, '--', PYTHON, 'demo/train_digits.py', '--C', '0.5'], {
      cwd: REPO_ROOT,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /C=0.5 test accuracy 0\.9\d/);
    const runDir = onlyRunDir(workspace);
    const info = await readRunInfo(runDir);
    assert.equal(info.experiment, 'train_digits');
    assert.deepEqual(info.params, { C: 0.5 });
    assert.ok(info.environment.packages.sklearn);
    assert.equal((await readRunStatus(runDir))?.status, 'finished');

    const { events } = await readAllEvents(runDir);
    const params = events.find((e) => e.type === 'params');
    assert.deepEqual(params?.type === 'params' && params.values, {
      C: 0.5,
      max_iter: 200,
      test_size: 0.25,
      steps: 10,
      seed: 0,
    });
    const valAcc = events.flatMap((e) => (e.type === 'metric' && e.key === 'val_acc' ? [e.step] : []));
    assert.deepEqual(valAcc, [20, 40, 60, 80, 100, 120, 140, 160, 180, 200]);
    const testAcc = events.find((e) => e.type === 'metric' && e.key === 'test_acc');
    assert.ok(testAcc?.type === 'metric' && testAcc.value > 0.9);
    const artifacts = events.filter((e): e is ArtifactEvent => e.type === 'artifact');
    const input = artifacts.find((a) => a.role === 'input');
    assert.equal(input?.kind, 'dataset');
    assert.equal(input?.sha256, sha256(join(REPO_ROOT, 'demo', 'data', 'digits.csv')));
    const model = artifacts.find((a) => a.kind === 'model');
    assert.equal(model?.name, 'digits-logreg');
    assert.equal(model?.sha256, sha256(join(REPO_ROOT, 'demo', 'models', 'digits-logreg-C0.5.pkl')));
  });

  it('runs the PyTorch demo tracked only through stdout', async () => {
    const result = await runCli(['run', '--workspace', workspace, '--', PYTHON, 'demo/train_mlp.py', '--epochs', '4'], {
      cwd: REPO_ROOT,
    });
    assert.equal(result.code, 0, result.stderr);
    const runDir = onlyRunDir(workspace);
    const info = await readRunInfo(runDir);
    assert.equal(info.experiment, 'train_mlp');
    assert.deepEqual(info.params, { epochs: 4 });
    const { events } = await readAllEvents(runDir);
    for (const key of ['loss', 'val_loss', 'val_acc']) {
      const steps = events.flatMap((e) => (e.type === 'metric' && e.key === key ? [e.step] : []));
      assert.deepEqual(steps, [1, 2, 3, 4], key);
    }
    assert.ok(events.every((e) => e.type === 'metric' && e.source === 'stdout'));
    assert.equal(events.length, 12, 'nothing taken from the prose lines');
  });

  it('Ctrl-C reaches the script, the run ends killed and the CLI exits with 130', async () => {
    writeScript(workspace, 'wait.py', 'import time\nprint("ready", flush=True)\ntime.sleep(60)\n');
    let launcherPid = 0;
    let output = (): string => '';
    const running = runCli(['run', '--', PYTHON, 'wait.py'], {
      cwd: workspace,
      onSpawn: (pid, stdout) => {
        launcherPid = pid;
        output = stdout;
      },
    });
    await eventually('the script to start', () => output().includes('ready'), 20_000);
    process.kill(launcherPid, 'SIGINT');
    const result = await running;
    assert.equal(result.code, 130);
    const status = await readRunStatus(onlyRunDir(workspace));
    assert.equal(status?.status, 'killed');
    assert.equal(status?.signal, 'SIGINT');
    assert.match(status?.message ?? '', /Ctrl-C/);
  });

  it('a missing interpreter fails with exit code 127 and says what to check', async () => {
    const result = await runCli(['run', '--', '/opt/nowhere/python3', 'train.py'], { cwd: workspace });
    assert.equal(result.code, 127);
    assert.match(result.stderr, /command not found: \/opt\/nowhere\/python3 — check the interpreter path/);
    assert.equal((await readRunStatus(onlyRunDir(workspace)))?.status, 'failed');
  });
});
