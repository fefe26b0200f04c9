import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { ingestAll } from '../../../src/core/runs/ingest';
import { reindex } from '../../../src/core/runs/reindex';
import { IndexStore } from '../../../src/core/store/database';
import { indexCounts } from '../../../src/core/store/maintenance';
import { TempWorkspace } from '../../fixtures/run-folder-builder';
import { dumpIndex } from './index-dump';

const CHILD = join(__dirname, 'ingest-child.ts');

function startIngester(workspace: string, chunkBytes: number, slowAfter?: number) {
  const args = [CHILD, workspace, String(chunkBytes), ...(slowAfter ? [String(slowAfter)] : [])];
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  const lines = createInterface({ input: child.stdout });
  return { child, lines, exited };
}

describe('ingest across processes', () => {
  it('two ingesters in two processes at once produce exactly the rows of one', async () => {
    const ws = new TempWorkspace();
    const keys = ['loss', 'acc', 'lr'];
    for (let i = 0; i < 12; i++) {
      ws.run(i)
        .writeInfo()
        .writeStatus()
        .metrics(keys, 1500)
        .events([{ type: 'params', values: { seed: i } }]);
    }
    // Migrate once first, so both children race on the rows rather than on creating the schema.
    IndexStore.openWorkspace(ws.root).close();
    const first = startIngester(ws.root, 16 * 1024);
    const second = startIngester(ws.root, 16 * 1024);
    const results = await Promise.all([first.exited, second.exited]);
    for (const r of results) assert.equal(r.code, 0, r.stderr);

    const store = IndexStore.openWorkspace(ws.root);
    const together = dumpIndex(store);
    assert.equal(indexCounts(store).metricPoints, 12 * 1500 * keys.length);
    await reindex(store, ws.root);
    assert.deepEqual(together, dumpIndex(store));
    store.close();
    ws.cleanup();
  });

  it('an ingester SIGKILLed mid-run loses and duplicates nothing when ingest restarts', async () => {
    const ws = new TempWorkspace();
    const run = ws.run(1).writeInfo().writeStatus();
    const steps = 20_000;
    run.metrics(['loss', 'acc', 'grad_norm', 'lr', 'epoch'], steps);
    IndexStore.openWorkspace(ws.root).close();

    const ingester = startIngester(ws.root, 64 * 1024, 20);
    let commits = 0;
    for await (const line of ingester.lines) {
      if (line.startsWith('committed') && ++commits === 20) {
        ingester.child.kill('SIGKILL');
        break;
      }
    }
    const exit = await ingester.exited;
    assert.equal(exit.signal, 'SIGKILL');

    const store = IndexStore.openWorkspace(ws.root);
    const partial = indexCounts(store).metricPoints;
    assert.ok(partial > 0 && partial < steps * 5, `killed part-way (${partial} points in)`);
    await ingestAll(store, ws.root);
    assert.equal(indexCounts(store).metricPoints, steps * 5);
    const resumed = dumpIndex(store);
    // Each key is logged once per step, so the n-th point of a series must carry step n: a lost or
    // repeated line would shift every later one.
    const shifted = (resumed.metrics as { seq: number; step: number }[]).filter((m) => m.seq !== m.step);
    assert.deepEqual(shifted, []);
    await reindex(store, ws.root);
    assert.deepEqual(resumed, dumpIndex(store));
    store.close();
    ws.cleanup();
  });
});
