// Launcher overhead: `trackside run -- true` (the built dist/cli.js) against plain `true`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResult } from './result';

const RUNS = 21;
const GOAL_ADDED_MS = 150;
const CLI = join(__dirname, '..', 'dist', 'cli.js');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function timeCommand(command: string, args: string[], cwd: string): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd, stdio: 'ignore' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}`);
  return ms;
}

/** Median wall time of each, interleaved so both see the same machine load. */
export async function benchLauncher(): Promise<BenchResult[]> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const workspace = mkdtempSync(join(tmpdir(), 'trackside-bench-launcher-'));
  try {
    const plain: number[] = [];
    const tracked: number[] = [];
    // Not part of the goal: how much of the added time is Node starting at all (an empty script).
    const nodeAlone: number[] = [];
    timeCommand(process.execPath, [CLI, 'run', '--', 'true'], workspace); // warm the file cache
    for (let i = 0; i < RUNS; i++) {
      plain.push(timeCommand('true', [], workspace));
      tracked.push(timeCommand(process.execPath, [CLI, 'run', '--', 'true'], workspace));
      nodeAlone.push(timeCommand(process.execPath, ['-e', ''], workspace));
    }
    const baseline = median(plain);
    const value = median(tracked);
    const added = value - baseline;
    const nodeStart = median(nodeAlone) - baseline;
    return [
      {
        name: `launcher: trackside run -- true (median of ${RUNS})`,
        value: Math.round(value * 10) / 10,
        unit: 'ms',
        baseline: Math.round(baseline * 10) / 10,
        ratio: Math.round((value / baseline) * 10) / 10,
        goal: `≤ ${GOAL_ADDED_MS} ms added (added ${added.toFixed(1)} ms, of which Node's own start ${nodeStart.toFixed(1)} ms)`,
        pass: added <= GOAL_ADDED_MS,
      },
    ];
  } finally {
    await new Promise((resolve) => setTimeout(resolve, 0));
    rmSync(workspace, { recursive: true, force: true });
  }
}
