import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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
    const env = { ...process.env };
    delete env.TRACKSIDE_RUN_DIR;
    const result = spawnSync(process.execPath, ['--import', TSX_LOADER, 'train_js.ts', '--epochs', '2'], {
      cwd: dir,
      env,
      encoding: 'utf8',
    });
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

  it('marks its own run failed when the program throws', async () => {
    writeScript(dir, 'fail.ts', script('ts.logMetric("x", 1);\nthrow new Error("bad input");'));
    const env = { ...process.env };
    delete env.TRACKSIDE_RUN_DIR;
    const result = spawnSync(process.execPath, ['--import', TSX_LOADER, 'fail.ts'], {
      cwd: dir,
      env,
      encoding: 'utf8',
    });
    assert.notEqual(result.status, 0);
    assert.equal((await readRunStatus(onlyRunDir(dir)))?.status, 'failed');
  });

  it('inside a launched run logs into the launcher run folder', async () => {
    writeScript(dir, 'inside.ts', script('ts.logMetric("loss", 0.25, 3);'));
    const result = await launchRun({
      command: [process.execPath, '--import', TSX_LOADER, 'inside.ts'],
      cwd: dir,
      terminal: captureTerminal(),
      forwardSignals: false,
    });
    assert.equal(result.status, 'finished');
    assert.equal(onlyRunDir(dir), result.runDir);
    const { events } = await readAllEvents(result.runDir);
    assert.deepEqual(
      events.map((e) => (e.type === 'metric' ? [e.key, e.value, e.step] : e.type)),
      [['loss', 0.25, 3]],
    );
  });
});
