import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { launchRun } from '../../../src/core/runs/launcher';
import { readRunInfo, readRunStatus } from '../../../src/core/runs/reader';
import {
  REPO_ROOT,
  TSX_LOADER,
  captureTerminal,
  onlyRunDir,
  readAllEvents,
  tempDir,
  writeScript,
} from '../runs/run-fixtures';
import { onlyRunResult, runNode } from './client-fixtures';

const CLIENT = join(REPO_ROOT, 'src', 'core', 'clients', 'node', 'trackside.ts');

function script(body: string): string {
  return [`import * as ts from ${JSON.stringify(CLIENT)};`, body].join('\n');
}

describe('Node client', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('outside a launched run creates a run and marks it finished at exit', async () => {
    writeScript(
      dir,
      'train_js.ts',
      script(
        [
          'ts.logParams({ lr: 0.1, layers: 2 });',
          'ts.logMetric("loss", 0.5, 1);',
          'ts.logMetrics({ loss: Number.NaN, acc: 0.9 }, 2);',
          'ts.setTag("stage", "dev");',
          'void ts.logModel("train_js.ts", "source");',
        ].join('\n'),
      ),
    );
    const result = runNode(dir, 'train_js.ts', ['--epochs', '2']);
    assert.equal(result.status, 0, result.stderr);
    const runDir = onlyRunDir(dir);
    const info = await readRunInfo(runDir);
    assert.equal(info.experiment, 'train_js');
    assert.deepEqual(info.params, { epochs: 2 });
    assert.equal((await readRunStatus(runDir))?.status, 'finished');
    const { events } = await readAllEvents(runDir);
    assert.deepEqual(
      events.flatMap((e) => (e.type === 'metric' ? [[e.key, e.value, e.step]] : [])),
      [
        ['loss', 0.5, 1],
        ['loss', Number.NaN, 2],
        ['acc', 0.9, 2],
      ],
    );
    const model = events.find((e) => e.type === 'artifact');
    assert.ok(model?.type === 'artifact' && model.path === 'train_js.ts' && model.kind === 'model' && model.sha256);
  });

  it('marks its own run failed by an uncaught error, with its stack in output.log', async () => {
    writeScript(dir, 'fail.ts', script('ts.startRun();\nconsole.log("epoch 1");\nthrow new RangeError("bad input");'));
    const result = runNode(dir, 'fail.ts');
    assert.equal(result.status, 1);
    assert.match(result.stderr, /RangeError: bad input/);
    const run = await onlyRunResult(dir);
    assert.deepEqual([run.status?.status, run.status?.exitCode], ['failed', 1]);
    assert.equal(run.status?.message, 'RangeError: bad input');
    assert.match(run.output, /^epoch 1\nRangeError: bad input\n {4}at /);
  });

  it('records the exit code the program sets, and copies its output to output.log', async () => {
    writeScript(
      dir,
      'exits.ts',
      script(
        [
          'ts.logMetric("loss", 0.5, 1);',
          'console.log("epoch 1 loss=0.5");',
          'process.stderr.write("warning: slow\\n");',
          'process.exit(3);',
        ].join('\n'),
      ),
    );
    const result = runNode(dir, 'exits.ts');
    assert.equal(result.status, 3);
    assert.equal(result.stdout, 'epoch 1 loss=0.5\n');
    const run = await onlyRunResult(dir);
    assert.deepEqual([run.status?.status, run.status?.exitCode], ['failed', 3]);
    assert.match(run.status?.message ?? '', /exited with code 3/);
    assert.equal(run.output, 'epoch 1 loss=0.5\nwarning: slow\n');

    const { dir: other, cleanup: cleanupOther } = tempDir();
    try {
      writeScript(other, 'ok.ts', script('ts.startRun();\nconsole.log("done");\nprocess.exitCode = 0;'));
      assert.equal(runNode(other, 'ok.ts').status, 0);
      const ok = await onlyRunResult(other);
      assert.deepEqual([ok.status?.status, ok.status?.exitCode, ok.output], ['finished', 0, 'done\n']);
    } finally {
      cleanupOther();
    }
  });

  it('inside a launched run logs into the launcher run folder', async () => {
    writeScript(
      dir,
      'inside.ts',
      script('ts.logMetric("loss", 0.25, 3);\nconsole.log("step 3");\nprocess.exitCode = 2;'),
    );
    const result = await launchRun({
      command: [process.execPath, '--import', TSX_LOADER, 'inside.ts'],
      cwd: dir,
      terminal: captureTerminal(),
      forwardSignals: false,
    });
    assert.deepEqual([result.status, result.exitCode], ['failed', 2]);
    assert.equal(onlyRunDir(dir), result.runDir);
    const { events } = await readAllEvents(result.runDir);
    assert.deepEqual(
      events.map((e) => (e.type === 'metric' ? [e.key, e.value, e.step] : e.type)),
      [['loss', 0.25, 3]],
    );
    // The launcher owns output.log and status.json: each line once, its exit code.
    assert.equal(readFileSync(join(result.runDir, 'output.log'), 'utf8'), 'step 3\n');
    const status = await readRunStatus(result.runDir);
    assert.deepEqual([status?.runnerPid, status?.exitCode], [process.pid, 2]);
  });
});
