import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { nodeBinary, type NodeMajor } from '../test/fixtures/node-runtimes';
import type { BenchResult } from './result';

/** Node 24 opens the index with node:sqlite, Node 20 with better-sqlite3: each is measured. */
const RUNTIMES: readonly NodeMajor[] = ['24', '20'];

/**
 * Ingest (against a raw insert) and the compare payload (against per-run queries), once per SQLite
 * driver: each runtime runs them in a child of its own, so its baselines use the same driver.
 */
export async function benchIndexDrivers(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const major of RUNTIMES) {
    const node = nodeBinary(major);
    if (!node) throw new Error(`Node ${major} is not installed: run bash scripts/setup.sh`);
    const { stdout } = await promisify(execFile)(node, ['--import', 'tsx', join(__dirname, 'driver-child.ts')], {
      maxBuffer: 16 * 1024 * 1024,
    });
    const child = JSON.parse(stdout) as { driver: string; node: string; results: BenchResult[] };
    for (const r of child.results) results.push({ ...r, name: `${r.name} — ${child.driver} (Node ${child.node})` });
  }
  return results;
}
