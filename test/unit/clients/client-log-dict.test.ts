import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { launchRun } from '../../../src/core/runs/launcher';
import { REPO_ROOT, captureTerminal, onlyRunDir, readAllEvents, tempDir, writeScript } from '../runs/run-fixtures';
import { PYTHON } from '../../fixtures/python';
import { runNode, runPython } from './client-fixtures';

/** `log({...})` as W&B users write it, and `active_run()` as MLflow users expect it, in both clients. */

const NODE_CLIENT = join(REPO_ROOT, 'src', 'core', 'clients', 'node', 'trackside.ts');

async function metricsOf(runDir: string): Promise<Array<[string, number, number | null]>> {
  const { events } = await readAllEvents(runDir);
  return events.flatMap((e) => (e.type === 'metric' ? [[e.key, e.value, e.step ?? null]] : []));
}

describe('clients: log(dict) and active run', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('Python: ts.log({...}) records the metrics, with a step, nested keys and W&B options; active_run() is None outside a run', async () => {
    writeScript(
      dir,
      'wandb_habit.py',
      [
        'import trackside as ts',
        'print("before:", ts.active_run())',
        'ts.log({"loss": 0.5})',
        'ts.log({"loss": 0.4, "val": {"acc": 0.8}}, step=3)',
        'ts.log(acc=0.9, step=4, commit=False)',
        'run = ts.active_run()',
        'run.log({"loss": 0.3}, step=5)',
        'print("during:", run is not None and run.dir is not None)',
        'ts.end_run()',
        'print("after:", ts.active_run())',
      ].join('\n'),
    );
    const result = runPython(dir, 'wandb_habit.py');
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '', 'no warning');
    assert.match(result.stdout, /^before: None\nduring: True\nafter: None\n$/);
    assert.deepEqual(await metricsOf(onlyRunDir(dir)), [
      ['loss', 0.5, null],
      ['loss', 0.4, 3],
      ['val/acc', 0.8, 3],
      ['acc', 0.9, 4],
      ['loss', 0.3, 5],
    ]);
  });

  it('Python: asking for the active run creates no run folder', () => {
    writeScript(dir, 'ask.py', 'import os, trackside as ts\nprint(ts.active_run(), os.path.exists(".trackside"))\n');
    const result = runPython(dir, 'ask.py');
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, 'None False\n');
  });

  it('Python: inside trackside run, active_run() is the launcher’s run and ts.log({...}) writes into it', async () => {
    writeScript(
      dir,
      'launched.py',
      [
        'import os, trackside as ts',
        'print("same run:", ts.active_run().id == os.environ["TRACKSIDE_RUN_ID"])',
        'ts.log({"loss": 0.25}, step=1)',
      ].join('\n'),
    );
    const terminal = captureTerminal();
    const result = await launchRun({
      command: [PYTHON, 'launched.py'],
      cwd: dir,
      terminal,
      forwardSignals: false,
      systemMetricsIntervalMs: 0,
    });
    assert.equal(result.status, 'finished', terminal.text().err);
    assert.match(terminal.text().out, /same run: True/);
    assert.deepEqual(await metricsOf(result.runDir), [['loss', 0.25, 1]]);
  });

  it('Node: log({...}) records the metrics; activeRun() is null outside a run and after it ends', async () => {
    writeScript(
      dir,
      'habit.ts',
      [
        `import * as ts from ${JSON.stringify(NODE_CLIENT)};`,
        'console.log("before:", ts.activeRun());',
        'ts.log({ loss: 0.5 });',
        'ts.log({ loss: 0.4, acc: 0.8 }, 3);',
        'ts.activeRun()?.log({ loss: 0.3 }, 4);',
        'console.log("during:", ts.activeRun() !== null);',
        'ts.endRun();',
        'console.log("after:", ts.activeRun());',
      ].join('\n'),
    );
    const result = runNode(dir, 'habit.ts');
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, 'before: null\nduring: true\nafter: null\n');
    assert.deepEqual(await metricsOf(onlyRunDir(dir)), [
      ['loss', 0.5, null],
      ['loss', 0.4, 3],
      ['acc', 0.8, 3],
      ['loss', 0.3, 4],
    ]);
  });
});
