import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rmSync } from 'node:fs';
import { ingestAll, ingestRun } from '../../../src/core/runs/ingest';
import { ORPHANED_RUN_MESSAGE } from '../../../src/core/runs/ingest-status';
import { reindex } from '../../../src/core/runs/reindex';
import { IndexStore, indexPath } from '../../../src/core/store/database';
import { getRunDetail } from '../../../src/core/store/run-detail';
import { TempWorkspace, metricEvent } from '../../fixtures/run-folder-builder';
import { dumpIndex } from './index-dump';

describe('ingest', () => {
  let ws: TempWorkspace;
  before(() => {
    ws = new TempWorkspace();
  });
  after(() => ws.cleanup());

  it('equals a full reindex after ingesting a growing file in steps, torn last line included', async () => {
    const store = IndexStore.openWorkspace(ws.root);
    const run = ws
      .run(1)
      .writeInfo()
      .writeStatus({ status: 'running', pid: process.pid, endedAt: null, exitCode: null });
    run.metrics(['loss', 'acc'], 10);
    await ingestAll(store, ws.root);

    const torn = JSON.stringify(metricEvent('loss', 10));
    run.raw(torn.slice(0, 17));
    await ingestAll(store, ws.root);
    const whileTorn = getRunDetail(store, run.id);
    assert.equal(whileTorn?.summaries.find((s) => s.key === 'loss')?.count, 10, 'a torn line is not ingested yet');

    run.raw(`${torn.slice(17)}\n`);
    run.events([
      { type: 'params', values: { batch: 32, optimizer: 'adam' } },
      { type: 'tag', key: 'note', value: 'first try' },
      { type: 'artifact', path: 'model.pt', role: 'output', kind: 'model', size: 10 },
    ]);
    run.metrics(['loss', 'acc'], 5, 11);
    run.writeStatus();
    ws.run(2).writeInfo().metrics(['loss'], 3);
    await ingestAll(store, ws.root);
    const incremental = dumpIndex(store);

    const loss = getRunDetail(store, run.id)?.summaries.find((s) => s.key === 'loss');
    assert.equal(loss?.count, 16);
    assert.equal(loss?.lastStep, 15);
    assert.equal(getRunDetail(store, run.id)?.note, 'first try');

    await reindex(store, ws.root);
    assert.deepEqual(dumpIndex(store), incremental);
    store.close();

    // Deleting the index loses nothing: a fresh one built from the folders is the same.
    rmSync(indexPath(ws.root));
    rmSync(`${indexPath(ws.root)}-wal`, { force: true });
    rmSync(`${indexPath(ws.root)}-shm`, { force: true });
    const fresh = IndexStore.openWorkspace(ws.root);
    await ingestAll(fresh, ws.root);
    assert.deepEqual(dumpIndex(fresh), incremental);
    fresh.close();
  });

  it('skips a run folder until its run.json appears', async () => {
    const local = new TempWorkspace();
    const store = IndexStore.openWorkspace(local.root);
    const run = local.run(1);
    run.metrics(['loss'], 3);
    const first = await ingestRun(store, local.root, run.id);
    assert.equal(first.outcome, 'waiting');
    assert.equal(getRunDetail(store, run.id), null);
    run.writeInfo();
    const second = await ingestRun(store, local.root, run.id);
    assert.equal(second.outcome, 'ingested');
    assert.equal(getRunDetail(store, run.id)?.summaries[0]?.count, 3);
    store.close();
    local.cleanup();
  });

  it('removes the rows of a deleted run folder and its then-empty experiment', async () => {
    const local = new TempWorkspace();
    const store = IndexStore.openWorkspace(local.root);
    const kept = local.run(1).writeInfo().writeStatus().metrics(['loss'], 5);
    const gone = local.run(2, { experiment: 'scratch' }).writeInfo().writeStatus().metrics(['loss'], 5);
    await ingestAll(store, local.root);
    gone.remove();
    const result = await ingestAll(store, local.root);
    assert.deepEqual(result.removed, [gone.id]);
    assert.equal(getRunDetail(store, gone.id), null);
    assert.ok(getRunDetail(store, kept.id));
    const dump = dumpIndex(store);
    assert.deepEqual(dump.experiments, [{ name: 'default' }]);
    assert.equal(dump.metrics?.length, 5, 'the points of the deleted run are gone');
    store.close();
    local.cleanup();
  });

  it('shows a run whose process died without a status as failed, and a later status wins', async () => {
    const local = new TempWorkspace();
    const store = IndexStore.openWorkspace(local.root);
    const run = local.run(1).writeInfo();
    const deadPid = 2 ** 22 + 12345; // above Linux's pid_max: never a live process
    run.writeStatus({ status: 'running', pid: deadPid, endedAt: null, exitCode: null });
    const alive = local
      .run(2)
      .writeInfo()
      .writeStatus({ status: 'running', pid: process.pid, endedAt: null, exitCode: null });
    const elsewhere = local.run(3, {
      environment: { ...local.run(3).info().environment, hostname: 'another-host.example' },
    });
    elsewhere.writeInfo().writeStatus({ status: 'running', pid: deadPid, endedAt: null, exitCode: null });
    await ingestAll(store, local.root);
    const orphan = getRunDetail(store, run.id);
    assert.equal(orphan?.status, 'failed');
    assert.equal(orphan?.message, ORPHANED_RUN_MESSAGE);
    assert.equal(getRunDetail(store, alive.id)?.status, 'running');
    assert.equal(getRunDetail(store, elsewhere.id)?.status, 'running', 'a pid from another host means nothing here');

    run.writeStatus({ status: 'killed', pid: deadPid, exitCode: null, signal: 'SIGKILL', message: null });
    await ingestAll(store, local.root);
    assert.equal(getRunDetail(store, run.id)?.status, 'killed');
    assert.equal(getRunDetail(store, run.id)?.message, null);
    store.close();
    local.cleanup();
  });

  it('ingests valid lines among 10,000 malformed ones and counts the malformed', async () => {
    const local = new TempWorkspace();
    const store = IndexStore.openWorkspace(local.root);
    const run = local.run(1).writeInfo().writeStatus();
    const badKinds = [
      '{"type":"metric","key":"loss",',
      'not json at all',
      '{"type":"metric","key":"loss","value":"high","ts":1}',
      '{"type":"unknown","key":"x"}',
      '{"type":"metric","key":"","value":1,"ts":1}',
    ];
    let valid = 0;
    for (let i = 0; i < 10_000; i++) {
      if (i % 4 === 0) {
        run.raw(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a])); // non-UTF-8 bytes
      } else {
        run.raw(`${badKinds[i % badKinds.length]}\n`);
      }
      if (i % 10 === 0) {
        run.events([metricEvent('loss', valid)]);
        valid++;
      }
    }
    run.raw(`{"type":"tag","key":"big","value":"${'x'.repeat(2 * 1024 * 1024)}"}\n`); // a 2 MB line
    run.events([metricEvent('loss', valid)]);
    valid++;
    const result = await ingestAll(store, local.root);
    assert.equal(result.runs[0]?.malformed, 10_001);
    const detail = getRunDetail(store, run.id);
    assert.equal(detail?.malformedLines, 10_001);
    assert.equal(detail?.summaries.find((s) => s.key === 'loss')?.count, valid);
    assert.deepEqual(detail?.tags, []);
    store.close();
    local.cleanup();
  });

  it('keeps NaN out of min and max but reports it as the last value', async () => {
    const local = new TempWorkspace();
    const store = IndexStore.openWorkspace(local.root);
    const run = local.run(1).writeInfo().writeStatus();
    run.raw(
      [
        '{"type":"metric","key":"loss","value":2,"step":0,"ts":1}',
        '{"type":"metric","key":"loss","value":"NaN","step":1,"ts":2}',
        '{"type":"metric","key":"loss","value":0.5,"step":2,"ts":3}',
        '{"type":"metric","key":"loss","value":"NaN","step":3,"ts":4}',
        '',
      ].join('\n'),
    );
    await ingestAll(store, local.root);
    const loss = getRunDetail(store, run.id)?.summaries[0];
    assert.deepEqual(
      { min: loss?.min, max: loss?.max, last: loss?.last, count: loss?.count },
      { min: 0.5, max: 2, last: null, count: 4 },
    );
    store.close();
    local.cleanup();
  });
});
