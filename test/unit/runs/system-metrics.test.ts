import { eventually } from '../../fixtures/polling';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { launchRun } from '../../../src/core/runs/launcher';
import type { MetricEvent } from '../../../src/core/runs/protocol';
import { ProcessTreeReader } from '../../../src/core/runs/process-tree';
import { SystemMetricsSampler } from '../../../src/core/runs/system-metrics';
import { captureTerminal, readAllEvents, tempDir, writeScript } from './run-fixtures';
import { PYTHON } from '../../fixtures/python';

/** A parent that only waits, and a child of it that burns CPU and allocates ~20 MiB every 100 ms. */
const BUSY_TREE = [
  'import subprocess, sys, time',
  'child = subprocess.Popen([sys.executable, "-c", """',
  'import time',
  'blocks = []',
  'start = time.time()',
  'while time.time() - start < 30:',
  '    if len(blocks) < 12 and time.time() - start > len(blocks) * 0.1:',
  '        blocks.append(b"x" * (20 * 1024 * 1024))',
  '    sum(range(10000))',
  '"""])',
  'print("child", child.pid, flush=True)',
  'child.wait()',
].join('\n');

describe('system metrics of a run', () => {
  let dir: string;
  let cleanup: () => void;
  let tree: ChildProcess | null = null;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => {
    if (tree?.pid) process.kill(-tree.pid, 'SIGKILL');
    tree = null;
    cleanup();
  });

  it('measures CPU and memory of the whole process tree, the busy child of an idle parent included', async () => {
    writeScript(dir, 'busy.py', BUSY_TREE);
    // Its own process group, as the launcher starts a command.
    tree = spawn(PYTHON, ['busy.py'], { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    tree.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await eventually('the child to start', () => out.includes('child'), 10_000);
    const written: MetricEvent[] = [];
    const sampler = new SystemMetricsSampler({
      pid: tree.pid ?? 0,
      intervalMs: 60_000,
      env: {},
      write: (events) => written.push(...events),
      queryGpus: null,
    });
    sampler.start();
    const samples: Array<Record<string, number>> = [];
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 400));
      written.length = 0;
      sampler.sample();
      samples.push(Object.fromEntries(written.map((e) => [e.key, e.value])));
    }
    sampler.stop();
    for (const sample of samples) {
      assert.ok((sample['sys/cpu_percent'] ?? 0) > 50, `cpu ${sample['sys/cpu_percent']}% of the busy child counted`);
    }
    const rss = samples.map((sample) => sample['sys/rss_mb'] ?? 0);
    assert.ok((rss.at(-1) ?? 0) - (rss[0] ?? 0) > 60, `rss grew with the child's allocations: ${rss.join(' → ')} MiB`);
    assert.ok(
      written.every((e) => e.step === undefined && e.ts > 0),
      'no step, a time',
    );
  });

  it('takes no sample of a command that has exited but is not reaped yet (its memory would read as 0 MiB)', () => {
    const child = spawn(PYTHON, ['-c', 'pass'], { stdio: 'ignore' });
    const pid = child.pid ?? 0;
    const reader = new ProcessTreeReader(pid);
    // The event loop reaps exited children: blocked, it leaves this one a zombie.
    const stateOf = () => readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]?.[0];
    const deadline = Date.now() + 10_000;
    while (stateOf() !== 'Z' && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    assert.equal(stateOf(), 'Z', 'the command has exited and waits to be reaped');
    assert.equal(reader.read(), null);
  });

  it('is recorded by the launcher as sys/ metrics while the command runs, and not at all when turned off', async () => {
    writeScript(dir, 'work.py', 'import time\nstart = time.time()\nwhile time.time() - start < 1.2:\n    pass\n');
    const sampled = await launchRun({
      command: [PYTHON, 'work.py'],
      cwd: dir,
      terminal: captureTerminal(),
      forwardSignals: false,
      systemMetricsIntervalMs: 200,
    });
    const { events } = await readAllEvents(sampled.runDir);
    const cpu = events.filter((e): e is MetricEvent => e.type === 'metric' && e.key === 'sys/cpu_percent');
    const rss = events.filter((e): e is MetricEvent => e.type === 'metric' && e.key === 'sys/rss_mb');
    assert.ok(cpu.length >= 3, `${cpu.length} CPU samples in 1.2 s at 200 ms`);
    assert.ok(rss.length >= 3 && rss.every((e) => e.value > 1), 'resident memory of the interpreter');
    assert.ok(
      cpu.some((e) => e.value > 50),
      `a busy loop shows: ${cpu.map((e) => e.value).join(', ')}`,
    );

    const off = await launchRun({
      command: [PYTHON, 'work.py'],
      cwd: dir,
      terminal: captureTerminal(),
      forwardSignals: false,
      systemMetricsIntervalMs: 0,
    });
    const offEvents = (await readAllEvents(off.runDir)).events;
    assert.deepEqual(
      offEvents.filter((e) => e.type === 'metric' && e.key.startsWith('sys/')),
      [],
    );
  });
});
