import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ingestAll } from '../../../src/core/runs/ingest';
import { reindex } from '../../../src/core/runs/reindex';
import { IndexStore } from '../../../src/core/store/database';
import { LATEST_SCHEMA_VERSION } from '../../../src/core/store/migrations';
import { indexCounts } from '../../../src/core/store/maintenance';
import { expectedDriver, nodeBinary } from '../../fixtures/node-runtimes';
import { TempWorkspace } from '../../fixtures/run-folder-builder';
import { dumpIndex } from './index-dump';

// node:sqlite (Node 22/24) and better-sqlite3 (Node 20) must share one index file: a user may open
// the same workspace in VS Code 1.100 and the current VS Code, or run the CLI on another Node.
// This process uses one driver; the other runtime is started as a child with the other one.
const here = process.versions.node.split('.')[0] === '20' ? '20' : '24';
const other = here === '20' ? '24' : '20';
const otherNode = nodeBinary(other);
const skip = !otherNode && `Node ${other} is not installed here (scripts/setup.sh)`;
const run = promisify(execFile);

async function inOtherRuntime(script: string, args: string[]): Promise<string> {
  const { stdout } = await run(otherNode!, ['--import', 'tsx', join(__dirname, script), ...args], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

function workspaceWithRuns(runs: number, steps: number): TempWorkspace {
  const ws = new TempWorkspace('trackside-cross-driver-');
  for (let i = 0; i < runs; i++) {
    ws.run(i, { params: { lr: 0.1 / (i + 1), optimizer: 'adam' } })
      .writeInfo()
      .writeStatus()
      .metrics(['loss', 'acc'], steps)
      .events([{ type: 'tag', key: 'stage', value: 'test' }]);
  }
  return ws;
}

describe(`one index file, two drivers (this process: ${expectedDriver(here)}, the other: ${expectedDriver(other)})`, () => {
  it('an index written by one driver opens with the other with every row and the same schema', { skip }, async () => {
    const ws = workspaceWithRuns(4, 300);
    try {
      const store = IndexStore.openWorkspace(ws.root);
      await ingestAll(store, ws.root);
      const written = dumpIndex(store);
      store.close();
      const read = JSON.parse(await inOtherRuntime('dump-child.ts', [ws.root])) as {
        driver: string;
        userVersion: number;
        dump: unknown;
      };
      assert.equal(read.driver, expectedDriver(other));
      assert.equal(read.userVersion, LATEST_SCHEMA_VERSION);
      assert.deepEqual(read.dump, JSON.parse(JSON.stringify(written)));
    } finally {
      ws.cleanup();
    }
  });

  it(
    'what the other driver ingests into this index reads back here, and nothing is counted twice',
    { skip },
    async () => {
      const ws = workspaceWithRuns(3, 200);
      try {
        const store = IndexStore.openWorkspace(ws.root);
        await ingestAll(store, ws.root);
        // More points and a new run arrive; the other runtime catches the index up while this one has it open.
        ws.run(0).metrics(['loss'], 50);
        ws.run(9).writeInfo().writeStatus().metrics(['loss'], 10);
        await inOtherRuntime('ingest-child.ts', [ws.root]);
        await ingestAll(store, ws.root);
        const counts = indexCounts(store);
        assert.equal(counts.runs, 4);
        assert.equal(counts.metricPoints, 3 * 200 * 2 + 50 + 10);
        const together = dumpIndex(store);
        await reindex(store, ws.root);
        assert.deepEqual(together, dumpIndex(store), 'the same rows as one ingest from the folders');
        store.close();
      } finally {
        ws.cleanup();
      }
    },
  );
});
