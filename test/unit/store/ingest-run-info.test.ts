import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ingestAll, ingestRun } from '../../../src/core/runs/ingest';
import type { RunInfo } from '../../../src/core/runs/protocol';
import { reindex } from '../../../src/core/runs/reindex';
import { IndexStore } from '../../../src/core/store/database';
import { getRunDetail } from '../../../src/core/store/run-detail';
import { TempWorkspace } from '../../fixtures/run-folder-builder';
import { dumpIndex } from './index-dump';

const BEFORE_PROBE: Partial<RunInfo> = {
  environment: {
    os: 'Linux 6.1',
    platform: 'linux',
    arch: 'x64',
    hostname: hostname(),
    node: process.version,
    interpreter: 'python3',
    interpreterVersion: null,
    packages: {},
  },
};

describe('ingest of a run.json written again', () => {
  let ws: TempWorkspace;
  let store: IndexStore;
  beforeEach(() => {
    ws = new TempWorkspace();
    store = IndexStore.openWorkspace(ws.root);
  });
  afterEach(() => {
    store.close();
    ws.cleanup();
  });

  it('takes the environment the launcher added once its probe answered, and equals a reindex', async () => {
    ws.run(1, BEFORE_PROBE).writeInfo().writeStatus({ status: 'running', pid: process.pid, endedAt: null });
    await ingestAll(store, ws.root);
    const id = ws.run(1).id;
    assert.equal(getRunDetail(store, id)?.environment.interpreterVersion, null);

    ws.run(1).writeInfo();
    const result = await ingestRun(store, ws.root, id);
    assert.equal(result.changed, true);
    const detail = getRunDetail(store, id);
    assert.equal(detail?.environment.interpreterVersion, '3.11.2');
    assert.deepEqual(detail?.environment.packages, { torch: '1.13.1' });
    assert.equal((await ingestRun(store, ws.root, id)).changed, false, 'an unchanged run.json is not read again');

    const incremental = dumpIndex(store);
    await reindex(store, ws.root);
    assert.deepEqual(dumpIndex(store), incremental);
  });

  it('a run adopted on a Slurm node takes that node as its host, so its pid is not checked here', async () => {
    const reserved = ws.run(1, { placement: { kind: 'slurm', jobId: '42', node: null } });
    reserved.writeInfo().writeStatus({ status: 'pending', pid: null, endedAt: null, exitCode: null });
    await ingestAll(store, ws.root);
    assert.equal(getRunDetail(store, reserved.id)?.status, 'pending');

    // The launcher on the node writes run.json with its own machine and git state, then its status.
    const onNode = ws.run(1, {
      environment: { ...BEFORE_PROBE.environment!, hostname: 'gpu-node-7' },
      git: { commit: 'b'.repeat(40), branch: 'exp', dirty: true, remote: null, untracked: ['notes.md'] },
      placement: { kind: 'slurm', jobId: '42', node: 'gpu-node-7' },
    });
    onNode.writeInfo().writeStatus({ status: 'running', pid: 2 ** 22 + 12345, endedAt: null, exitCode: null });
    await ingestRun(store, ws.root, reserved.id);

    const detail = getRunDetail(store, reserved.id);
    assert.equal(detail?.status, 'running', 'a pid on another host says nothing about this one');
    assert.equal(detail?.hostname, 'gpu-node-7');
    assert.equal(detail?.placement.node, 'gpu-node-7');
    assert.equal(detail?.gitCommit, 'b'.repeat(40));
    assert.equal(detail?.gitBranch, 'exp');
  });

  it('a damaged rewrite leaves the last good run.json in the index', async () => {
    const run = ws.run(1).writeInfo().writeStatus();
    await ingestAll(store, ws.root);
    writeFileSync(join(run.dir, 'run.json.tmp'), '{"version": 1, "id": ');
    renameSync(join(run.dir, 'run.json.tmp'), join(run.dir, 'run.json'));
    const result = await ingestRun(store, ws.root, run.id);
    assert.equal(result.outcome, 'ingested');
    assert.equal(getRunDetail(store, run.id)?.environment.interpreterVersion, '3.11.2');
  });
});
