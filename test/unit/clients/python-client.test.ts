import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { launchRun } from '../../../src/core/runs/launcher';
import { readRunInfo, readRunStatus } from '../../../src/core/runs/reader';
import { captureTerminal, initRepo, onlyRunDir, readAllEvents, tempDir, writeScript } from '../runs/run-fixtures';
import { PYTHON } from '../../fixtures/python';
import { runPython } from './client-fixtures';

describe('Python client', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('outside a launched run creates its own run folder with run.json, events and a finished status', async () => {
    initRepo(dir);
    writeScript(
      dir,
      'fit_model.py',
      [
        'import math, numpy as np, trackside as ts',
        'ts.log_params({"lr": 0.01, "layers": np.int64(3), "opt": "adam"})',
        'ts.log_metric("loss", np.float32(0.5), step=np.int64(1))',
        'ts.log_metric("loss", float("nan"), step=2)',
        'ts.log_metric("grad", math.inf, step=2)',
        'ts.log_metric("grad", -math.inf, step=3)',
        'ts.log(acc=0.75, f1=0.5, step=3)',
        'ts.set_tag("stage", "dev")',
        'ts.log_metric("bad", "not a number")',
        'ts.log_metric("bad", "still not")',
        'print("done")',
      ].join('\n'),
    );
    const result = runPython(dir, 'fit_model.py', ['--epochs', '4']);
    assert.equal(result.status, 0, result.stderr);
    // One warning for the failing kind of call, not one per call; training went on.
    assert.equal(result.stderr.match(/trackside: could not log metric/g)?.length, 1);
    assert.match(result.stdout, /done/);

    const runDir = onlyRunDir(dir);
    const info = await readRunInfo(runDir);
    assert.equal(info.experiment, 'fit_model');
    assert.deepEqual(info.params, { epochs: 4 });
    assert.equal(info.environment.interpreter, PYTHON);
    assert.ok(info.git?.commit);
    assert.deepEqual(info.git?.untracked, ['fit_model.py']);
    const status = await readRunStatus(runDir);
    assert.equal(status?.status, 'finished');
    assert.equal(status?.exitCode, 0);

    const { events, malformed } = await readAllEvents(runDir);
    assert.equal(malformed, 0);
    const metrics = events.flatMap((e) => (e.type === 'metric' ? [[e.key, e.value, e.step]] : []));
    assert.deepEqual(metrics, [
      ['loss', 0.5, 1],
      ['loss', Number.NaN, 2],
      ['grad', Number.POSITIVE_INFINITY, 2],
      ['grad', Number.NEGATIVE_INFINITY, 3],
      ['acc', 0.75, 3],
      ['f1', 0.5, 3],
    ]);
    const raw = readFileSync(join(runDir, 'events.jsonl'), 'utf8');
    assert.match(raw, /"value":"NaN"/);
    assert.match(raw, /"value":"-Infinity"/);
    const params = events.find((e) => e.type === 'params');
    assert.deepEqual(params?.type === 'params' && params.values, { lr: 0.01, layers: 3, opt: 'adam' });
    assert.ok(events.some((e) => e.type === 'tag' && e.key === 'stage' && e.value === 'dev'));
  });

  it('marks its own run failed when an exception ends the script, and start_run works as a context manager', async () => {
    writeScript(dir, 'boom.py', 'import trackside as ts\nts.log_metric("x", 1)\nraise RuntimeError("diverged")\n');
    const crashed = runPython(dir, 'boom.py');
    assert.notEqual(crashed.status, 0);
    assert.match(crashed.stderr, /RuntimeError: diverged/);
    const status = await readRunStatus(onlyRunDir(dir));
    assert.equal(status?.status, 'failed');
    assert.match(status?.message ?? '', /RuntimeError: diverged/);

    const { dir: other, cleanup: cleanupOther } = tempDir();
    try {
      writeScript(
        other,
        'ctx.py',
        [
          'import trackside as ts',
          'with ts.start_run(experiment="sweep", name="c-0.5", params={"C": 0.5}) as run:',
          '    run.log_metric("acc", 0.9)',
          'print(run.dir)',
        ].join('\n'),
      );
      const ok = runPython(other, 'ctx.py');
      assert.equal(ok.status, 0, ok.stderr);
      const runDir = onlyRunDir(other);
      const info = await readRunInfo(runDir);
      assert.equal(info.experiment, 'sweep');
      assert.equal(info.name, 'c-0.5');
      assert.deepEqual(info.params, { C: 0.5 });
      assert.equal((await readRunStatus(runDir))?.status, 'finished');
    } finally {
      cleanupOther();
    }
  });

  it('inside a launched run writes into the launcher run folder and creates no other run', async () => {
    writeScript(
      dir,
      'inside.py',
      ['import trackside as ts', 'ts.log_params({"batch": 32})', 'ts.log_metric("loss", 0.25, step=1)'].join('\n'),
    );
    const result = await launchRun({
      command: [PYTHON, 'inside.py'],
      cwd: dir,
      terminal: captureTerminal(),
      forwardSignals: false,
    });
    assert.equal(result.status, 'finished');
    assert.equal(onlyRunDir(dir), result.runDir);
    const { events } = await readAllEvents(result.runDir);
    assert.deepEqual(
      events.map((e) => e.type),
      ['params', 'metric'],
    );
  });

  it('ten threads writing 10,000 lines in all leave 10,000 valid lines', async () => {
    writeScript(
      dir,
      'threads.py',
      [
        'import threading, trackside as ts',
        'run = ts.start_run()',
        'def work(t):',
        '    for i in range(1000):',
        '        ts.log_metric("thread_%d" % t, i * 0.001, step=i)',
        'threads = [threading.Thread(target=work, args=(t,)) for t in range(10)]',
        '[t.start() for t in threads]',
        '[t.join() for t in threads]',
      ].join('\n'),
    );
    const result = await launchRun({
      command: [PYTHON, 'threads.py'],
      cwd: dir,
      terminal: captureTerminal(),
      forwardSignals: false,
    });
    assert.equal(result.status, 'finished');
    const { events, malformed } = await readAllEvents(result.runDir);
    assert.equal(malformed, 0);
    assert.equal(events.length, 10_000);
    for (let t = 0; t < 10; t++) {
      const steps = events.flatMap((e) => (e.type === 'metric' && e.key === `thread_${t}` ? [e.step] : []));
      assert.deepEqual(
        steps,
        Array.from({ length: 1000 }, (_, i) => i),
      );
    }
  });

  it('logs inputs and models with sha256, size and a workspace-relative path', async () => {
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'data', 'train.csv'), 'a,b\n1,2\n');
    writeScript(
      dir,
      'art.py',
      [
        'import trackside as ts',
        'ts.log_input("data/train.csv")',
        'open("model.bin", "wb").write(bytes(range(256)))',
        'ts.log_model("model.bin", name="clf")',
        'ts.log_artifact("data", kind="dataset")',
        'ts.log_artifact("missing.txt")',
      ].join('\n'),
    );
    const result = await launchRun({
      command: [PYTHON, 'art.py'],
      cwd: dir,
      terminal: captureTerminal(),
      forwardSignals: false,
    });
    assert.equal(result.status, 'finished');
    const { events } = await readAllEvents(result.runDir);
    const artifacts = events.flatMap((e) => (e.type === 'artifact' ? [e] : []));
    const { createHash } = await import('node:crypto');
    const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
    assert.deepEqual(
      artifacts.map((a) => [a.path, a.role, a.kind, a.name, a.size, a.sha256]),
      [
        ['data/train.csv', 'input', 'dataset', undefined, 8, sha(Buffer.from('a,b\n1,2\n'))],
        ['model.bin', 'output', 'model', 'clf', 256, sha(Buffer.from(Array.from({ length: 256 }, (_, i) => i)))],
        ['data', 'output', 'dataset', undefined, 8, sha(Buffer.from(`train.csv\0${sha(Buffer.from('a,b\n1,2\n'))}\n`))],
      ],
    );
    assert.match(readFileSync(join(result.runDir, 'output.log'), 'utf8'), /could not log artifact missing.txt/);
  });
});
