import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { launchRun } from '../../../src/core/runs/launcher';
import { readRunStatus } from '../../../src/core/runs/reader';
import { captureTerminal, onlyRunDir, tempDir, writeScript } from '../runs/run-fixtures';
import { PYTHON } from '../../fixtures/python';
import { onlyRunResult, runPython } from './client-fixtures';

/** How a run the Python client created itself ends, and what its output.log holds. */

describe('Python client: the end and output of its own runs', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  const exits: { name: string; body: string[]; code: number; status: string; message: RegExp; signal?: string }[] = [
    {
      name: 'sys.exit(1) without a with block',
      body: ['import sys, trackside as ts', 'ts.start_run()', 'print("epoch 1")', 'sys.exit(1)'],
      code: 1,
      status: 'failed',
      message: /exited with code 1/,
    },
    {
      name: 'sys.exit(1) inside the with block',
      body: ['import sys, trackside as ts', 'with ts.start_run():', '    print("epoch 1")', '    sys.exit(1)'],
      code: 1,
      status: 'failed',
      message: /exited with code 1/,
    },
    {
      name: 'sys.exit(3) after the with block of a single-run script',
      body: ['import sys, trackside as ts', 'with ts.start_run():', '    print("epoch 1")', 'sys.exit(3)'],
      code: 3,
      status: 'failed',
      message: /exited with code 3/,
    },
    {
      name: 'exit(2) from the builtin, after logging a metric',
      body: ['import trackside as ts', 'ts.log_metric("loss", 0.5)', 'print("epoch 1")', 'exit(2)'],
      code: 2,
      status: 'failed',
      message: /exited with code 2/,
    },
    {
      name: 'sys.exit("message")',
      body: ['import sys, trackside as ts', 'ts.start_run()', 'print("epoch 1")', 'sys.exit("diverged")'],
      code: 1,
      status: 'failed',
      message: /exited with code 1: diverged/,
    },
    {
      name: 'sys.exit(0) inside the with block',
      body: ['import sys, trackside as ts', 'with ts.start_run():', '    print("epoch 1")', '    sys.exit(0)'],
      code: 0,
      status: 'finished',
      message: /exited with code 0/,
    },
    {
      name: 'Ctrl-C',
      body: ['import trackside as ts', 'ts.start_run()', 'print("epoch 1")', 'raise KeyboardInterrupt'],
      code: 130,
      status: 'killed',
      message: /stopped by Ctrl-C/,
      signal: 'SIGINT', // Python ends itself with the signal, so the shell sees 130
    },
  ];
  for (const { name, body, code, status, message, signal } of exits) {
    it(`records ${name} as ${status} with exit code ${code}, and leaves the script's exit code alone`, async () => {
      writeScript(dir, 'train.py', body.join('\n'));
      const result = runPython(dir, 'train.py');
      assert.deepEqual([result.status, result.signal], signal ? [null, signal] : [code, null], result.stderr);
      assert.equal(result.stdout, 'epoch 1\n');
      const run = await onlyRunResult(dir);
      assert.equal(run.status?.status, status);
      assert.equal(run.status?.exitCode, code);
      assert.match(run.status?.message ?? '', message);
      assert.equal(run.status?.signal, signal ?? null);
      assert.ok(run.status?.endedAt);
      assert.match(run.output, /^epoch 1\n/);
    });
  }

  it('records an uncaught exception as failed, with its traceback in output.log and the terminal', async () => {
    writeScript(
      dir,
      'train.py',
      [
        'import trackside as ts',
        'ts.start_run()',
        'print("epoch 1 loss=0.5")',
        'def step():',
        '    raise ValueError("loss is NaN")',
        'step()',
      ].join('\n'),
    );
    const result = runPython(dir, 'train.py');
    assert.equal(result.status, 1);
    assert.match(result.stderr, /Traceback[\s\S]*ValueError: loss is NaN/);
    const run = await onlyRunResult(dir);
    assert.equal(run.status?.status, 'failed');
    assert.equal(run.status?.exitCode, 1);
    assert.equal(run.status?.message, 'ValueError: loss is NaN');
    assert.match(run.output, /^epoch 1 loss=0\.5\nTraceback[\s\S]*in step\n[\s\S]*ValueError: loss is NaN\n$/);
    assert.equal(run.output.match(/ValueError: loss is NaN/g)?.length, 1);
  });

  it('keeps the traceback of an exception that leaves the with block, printed once', async () => {
    writeScript(
      dir,
      'train.py',
      [
        'import trackside as ts',
        'with ts.start_run():',
        '    print("epoch 1")',
        '    raise ValueError("bad batch")',
      ].join('\n'),
    );
    const result = runPython(dir, 'train.py');
    assert.equal(result.status, 1);
    const run = await onlyRunResult(dir);
    assert.equal(run.status?.status, 'failed');
    assert.equal(run.status?.message, 'ValueError: bad batch');
    assert.equal(run.output.match(/ValueError: bad batch/g)?.length, 1);
    assert.match(run.output, /^epoch 1\nTraceback/);
  });

  it('a sweep of with blocks keeps each run its own result when the script fails afterwards', async () => {
    writeScript(
      dir,
      'sweep.py',
      [
        'import sys, trackside as ts',
        'for c in (1, 2):',
        '    with ts.start_run(name="c-%d" % c):',
        '        print("run", c)',
        'print("sweep done")',
        'sys.exit(2)',
      ].join('\n'),
    );
    const result = runPython(dir, 'sweep.py');
    assert.equal(result.status, 2);
    const runsDir = join(dir, '.trackside', 'runs');
    const ids = (await import('node:fs')).readdirSync(runsDir).sort();
    assert.equal(ids.length, 2);
    for (const [i, id] of ids.entries()) {
      const status = await readRunStatus(join(runsDir, id));
      assert.deepEqual([status?.status, status?.exitCode], ['finished', 0]);
      assert.equal(readFileSync(join(runsDir, id, 'output.log'), 'utf8'), `run ${i + 1}\n`);
    }
  });

  it('a normal end is finished with code 0 and every printed line in output.log, terminal unchanged', async () => {
    writeScript(
      dir,
      'train.py',
      [
        'import logging, os, sys, threading',
        'logging.basicConfig(level=logging.INFO, format="log: %(message)s")',
        'import trackside as ts',
        'ts.start_run()',
        'print("main", 1)',
        'logging.info("from a handler made before the run")',
        'def work(t):',
        '    for i in range(50):',
        '        print("thread %d line %d" % (t, i))',
        'threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]',
        '[t.start() for t in threads]',
        '[t.join() for t in threads]',
        'sys.stderr.write("warning: on stderr\\n")',
        'pid = os.fork()',
        'if pid == 0:',
        '    print("from a forked worker", flush=True)',
        '    sys.exit(5)',
        'os.waitpid(pid, 0)',
        'print("no newline at the end", end="")',
      ].join('\n'),
    );
    const result = runPython(dir, 'train.py');
    assert.equal(result.status, 0, result.stderr);
    const run = await onlyRunResult(dir);
    assert.deepEqual([run.status?.status, run.status?.exitCode], ['finished', 0]);
    const expected = [
      'main 1',
      'log: from a handler made before the run',
      ...Array.from({ length: 4 }, (_, t) => Array.from({ length: 50 }, (_, i) => `thread ${t} line ${i}`)).flat(),
      'warning: on stderr',
      'from a forked worker',
      'no newline at the end',
    ];
    const logged = run.output.split('\n');
    assert.deepEqual([...logged].sort(), [...expected].sort());
    // The terminal gets what it got before (threads that print at once may mix their lines there).
    const shown = (result.stdout + result.stderr).match(/main 1|log: .*run|thread \d+ line \d+|warning: .*|from a .*/g);
    assert.deepEqual([...(shown ?? [])].sort(), expected.slice(0, -1).sort());
    assert.ok(result.stdout.endsWith('no newline at the end'));
  });

  it('under the launcher leaves status.json and output.log to the launcher: each line once', async () => {
    writeScript(
      dir,
      'inside.py',
      [
        'import sys, trackside as ts',
        'with ts.start_run() as run:',
        '    assert sys.stdout is sys.__stdout__ and type(sys.exit).__name__ == "builtin_function_or_method"',
        '    print("epoch 1 loss=0.5")',
        '    ts.log_metric("acc", 0.9)',
        'print("after the block")',
        'sys.exit(3)',
      ].join('\n'),
    );
    const terminal = captureTerminal();
    const result = await launchRun({ command: [PYTHON, 'inside.py'], cwd: dir, terminal, forwardSignals: false });
    assert.deepEqual([result.status, result.exitCode], ['failed', 3]);
    assert.equal(onlyRunDir(dir), result.runDir);
    assert.equal(readFileSync(join(result.runDir, 'output.log'), 'utf8'), 'epoch 1 loss=0.5\nafter the block\n');
    const status = await readRunStatus(result.runDir);
    assert.equal(status?.runnerPid, process.pid);
    assert.deepEqual([status?.status, status?.exitCode], ['failed', 3]);
  });
});
