import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { launchRun } from '../../../src/core/runs/launcher';
import type { MetricEvent } from '../../../src/core/runs/protocol';
import { captureTerminal, readAllEvents, tempDir, writeScript } from './run-fixtures';
import { PYTHON } from '../../fixtures/python';

/**
 * Progress bars through the real launcher: a real tqdm process redraws its bar hundreds of times
 * on stderr; its postfix metrics must reach events.jsonl while it runs, rate-limited, with the
 * bar's last value kept.
 */

/** Python that counts the stdout points of `key` the launcher has written so far. */
const COUNT_POINTS = [
  'def points(key):',
  '    with open(os.path.join(os.environ["TRACKSIDE_RUN_DIR"], "events.jsonl")) as f:',
  '        return sum(1 for l in f if \'"source":"stdout"\' in l and \'"key":"%s"\' % key in l)',
];

async function stdoutMetrics(runDir: string, key: string): Promise<MetricEvent[]> {
  const { events } = await readAllEvents(runDir);
  return events.filter((e): e is MetricEvent => e.type === 'metric' && e.source === 'stdout' && e.key === key);
}

describe('live metrics from progress bars', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('records a tqdm bar’s postfix while it runs, at most about one point per key per 200 ms, and its last value', async () => {
    writeScript(
      dir,
      'bar.py',
      [
        'import os, sys, time',
        'from tqdm import tqdm',
        ...COUNT_POINTS,
        'bar = tqdm(range(200), mininterval=0, miniters=1)',
        'for i in bar:',
        '    time.sleep(0.015)',
        '    bar.set_postfix(loss=1.0 / (i + 1), acc=i / 200)',
        '    if i == 150:',
        '        print("seen while running:", points("loss"), flush=True)',
        'bar.close()',
      ].join('\n'),
    );
    const terminal = captureTerminal();
    const started = Date.now();
    const result = await launchRun({
      command: [PYTHON, 'bar.py'],
      cwd: dir,
      terminal,
      forwardSignals: false,
      systemMetricsIntervalMs: 0,
    });
    const elapsedMs = Date.now() - started;
    assert.equal(result.status, 'finished', terminal.text().err);
    const redraws = terminal.text().err.split('\r').length - 1;
    assert.ok(redraws >= 400, `tqdm redrew its bar ${redraws} times`);

    const seen = Number(/seen while running: (\d+)/.exec(terminal.text().out)?.[1]);
    assert.ok(seen >= 5, `the script saw ${seen} loss points in events.jsonl at its 150th iteration`);

    const loss = await stdoutMetrics(result.runDir, 'loss');
    // One point per 200 ms window, one at once plus the last held one at the end, at most.
    assert.ok(loss.length <= Math.ceil(elapsedMs / 200) + 2, `${loss.length} points in ${elapsedMs} ms`);
    assert.ok(loss.length >= 8, `${loss.length} points, not only the last`);
    const steps = loss.map((e) => e.step ?? -1);
    assert.deepEqual(
      steps,
      [...steps].sort((a, b) => a - b),
      'steps follow the bar’s count',
    );
    assert.deepEqual([loss.at(-1)?.value, loss.at(-1)?.step], [0.005, 200], 'the last value, at the last step');
    const acc = await stdoutMetrics(result.runDir, 'acc');
    assert.deepEqual([acc.at(-1)?.value, acc.at(-1)?.step], [0.995, 200]);
  });

  it('reads a bar that redraws slowly before its next redraw comes', async () => {
    writeScript(
      dir,
      'slow.py',
      [
        'import os, sys, time',
        ...COUNT_POINTS,
        'sys.stdout.write("\\r 10%| 1/10 [00:01<00:09, loss=0.9]")',
        'sys.stdout.flush()',
        'deadline = time.time() + 10',
        'while points("loss") == 0 and time.time() < deadline:',
        '    time.sleep(0.05)',
        'print("\\nseen after", round(10 - (deadline - time.time()), 1), "s:", points("loss"), flush=True)',
      ].join('\n'),
    );
    const terminal = captureTerminal();
    const result = await launchRun({
      command: [PYTHON, 'slow.py'],
      cwd: dir,
      terminal,
      forwardSignals: false,
      systemMetricsIntervalMs: 0,
    });
    assert.equal(result.status, 'finished');
    const seen = /seen after ([\d.]+) s: (\d+)/.exec(terminal.text().out);
    assert.equal(seen?.[2], '1', terminal.text().out);
    assert.ok(Number(seen?.[1]) < 3, `the point came ${seen?.[1]} s after the redraw`);
    const loss = await stdoutMetrics(result.runDir, 'loss');
    assert.deepEqual(
      loss.map((e) => [e.value, e.step]),
      [[0.9, 1]],
    );
  });

  it('records each value of a slow tqdm loop once, at its iteration, not again when the bar counts on', async () => {
    // tqdm draws iteration i's postfix again when i + 1 starts (the count moved, the value did not):
    // kept, every step after the first would hold two values and the chart a staircase.
    writeScript(
      dir,
      'epochs.py',
      [
        'import time',
        'from tqdm import tqdm',
        'bar = tqdm(range(5), mininterval=0, miniters=1)',
        'for i in bar:',
        '    time.sleep(0.3)',
        '    bar.set_postfix(loss=1.0 / (i + 1))',
      ].join('\n'),
    );
    const terminal = captureTerminal();
    const result = await launchRun({
      command: [PYTHON, 'epochs.py'],
      cwd: dir,
      terminal,
      forwardSignals: false,
      systemMetricsIntervalMs: 0,
    });
    assert.equal(result.status, 'finished', terminal.text().err);
    const loss = await stdoutMetrics(result.runDir, 'loss');
    assert.deepEqual(
      loss.map((e) => [e.step, e.value]),
      [
        [0, 1],
        [1, 0.5],
        [2, 0.333], // as tqdm prints it
        [3, 0.25],
        [4, 0.2],
        // The bar's final state: the last value at its last count.
        [5, 0.2],
      ],
    );
  });
});
