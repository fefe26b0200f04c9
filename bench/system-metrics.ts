// The system-metrics sampler's own CPU cost per sample, on a real 20-process tree, against reading one
// /proc/<pid>/stat: what one sample costs the launcher beside the cheapest read it is made of.
import { PYTHON } from '../test/fixtures/python';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ProcessTreeReader } from '../src/core/runs/process-tree';
import { DEFAULT_SYSTEM_METRICS_INTERVAL_MS, SystemMetricsSampler } from '../src/core/runs/system-metrics';
import { ratioOf, type BenchResult } from './result';

const TREE_SIZE = 20;
const SAMPLES = 100;
/** Under 1% of one core at the default interval. */
const GOAL_SHARE_PERCENT = 1;
/** A parent and 19 children that sleep: the tree's size, not its work, is what a sample reads. */
const TREE = `import subprocess, sys, time
children = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"]) for _ in range(${TREE_SIZE - 1})]
time.sleep(120)`;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** CPU time (user + system) this process spends on `times` calls of `fn`, in milliseconds per call. */
function cpuMsPerCall(fn: () => unknown, times: number): number {
  fn();
  const before = process.cpuUsage();
  for (let i = 0; i < times; i++) fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / times;
}

export function benchSystemMetrics(): BenchResult[] {
  const tree = spawn(PYTHON, ['-c', TREE], { detached: true, stdio: 'ignore' });
  const pid = tree.pid ?? 0;
  try {
    const reader = new ProcessTreeReader(pid);
    const deadline = Date.now() + 30_000;
    while ((reader.read()?.processes ?? 0) < TREE_SIZE) {
      if (Date.now() > deadline) throw new Error(`the ${TREE_SIZE}-process tree did not start`);
      sleepSync(50);
    }
    let written = 0;
    const sampler = new SystemMetricsSampler({
      pid,
      intervalMs: DEFAULT_SYSTEM_METRICS_INTERVAL_MS,
      env: {},
      write: (events) => (written += events.length),
      queryGpus: null,
    });
    sampler.start();
    const perSample = cpuMsPerCall(() => sampler.sample(), SAMPLES);
    sampler.stop();
    if (written < SAMPLES * 2) throw new Error(`the sampler wrote ${written} values in ${SAMPLES} samples`);
    const statPath = `/proc/${pid}/stat`;
    const perStatRead = cpuMsPerCall(() => readFileSync(statPath, 'latin1'), SAMPLES);
    const sharePercent = (100 * perSample) / DEFAULT_SYSTEM_METRICS_INTERVAL_MS;
    return [
      {
        name: `system metrics: CPU per sample of a ${TREE_SIZE}-process tree vs one /proc/<pid>/stat read`,
        value: Number(perSample.toFixed(3)),
        unit: 'ms',
        baseline: Number(perStatRead.toFixed(3)),
        ratio: ratioOf(perSample, perStatRead),
        goal: `≤ ${(GOAL_SHARE_PERCENT * DEFAULT_SYSTEM_METRICS_INTERVAL_MS) / 100} ms (1% of a core at 5 s)`,
        pass: sharePercent < GOAL_SHARE_PERCENT,
      },
      {
        name: 'system metrics: share of one core at the default 5 s interval',
        value: Number(sharePercent.toFixed(4)),
        unit: '%',
        baseline: null,
        ratio: null,
        goal: `< ${GOAL_SHARE_PERCENT}%`,
        pass: sharePercent < GOAL_SHARE_PERCENT,
      },
    ];
  } finally {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
