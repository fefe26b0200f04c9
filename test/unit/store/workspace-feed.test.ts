import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { getRunDetail } from '../../../src/core/store/run-detail';
import { listModels } from '../../../src/core/store/models';
import type { TypedEmitter } from '../../../src/core/workspace/typed-emitter';
import { Workspace, type RunsChange } from '../../../src/core/workspace/workspace';
import { TempWorkspace } from '../../fixtures/run-folder-builder';

function next<T>(emitter: TypedEmitter<T>, matches: (value: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve) => {
    const off = emitter.on((value) => {
      if (matches(value)) {
        off();
        resolve(value);
      }
    });
  });
}

describe('a workspace folder and its one change feed', () => {
  it('ingests new runs and appended lines, and drops deleted runs, telling subscribers', async () => {
    const ws = new TempWorkspace();
    const existing = ws.run(1).writeInfo().writeStatus().metrics(['loss'], 3);
    const workspace = await Workspace.watch(ws.root, { debounceMs: 50 });
    const store = await workspace.index();
    assert.equal(getRunDetail(store, existing.id)?.summaries[0]?.count, 3, 'caught up when the index opened');

    const created = ws.run(2);
    const added = next(workspace.runs, (c: RunsChange) => c.kind === 'updated' && c.runIds.includes(created.id));
    created.writeInfo().metrics(['loss'], 4);
    await added;
    let count = getRunDetail(store, created.id)?.summaries[0]?.count ?? 0;
    while (count < 4) {
      await next(workspace.runs, (c) => c.runIds.includes(created.id));
      count = getRunDetail(store, created.id)?.summaries[0]?.count ?? 0;
    }

    const removed = next(workspace.runs, (c) => c.kind === 'removed');
    existing.remove();
    assert.deepEqual((await removed).runIds, [existing.id]);
    assert.equal(getRunDetail(store, existing.id), null);
    await workspace.close();
    ws.cleanup();
  });

  it('sees a run end within about a second even when the watcher never says so', async () => {
    const ws = new TempWorkspace();
    const run = ws
      .run(1)
      .writeInfo()
      .writeStatus({ status: 'running', pid: process.pid, endedAt: null, exitCode: null });
    // A watcher that would tell nothing for a minute: only the liveness check can see the end.
    const workspace = await Workspace.watch(ws.root, { debounceMs: 60_000, livenessMs: 100 });
    const store = await workspace.index();
    assert.equal(getRunDetail(store, run.id)?.status, 'running');
    const ended = next(workspace.runs, (c) => c.kind === 'updated' && c.runIds.includes(run.id));
    run.writeStatus({ status: 'finished' });
    await ended;
    assert.equal(getRunDetail(store, run.id)?.status, 'finished');
    await workspace.close();
    ws.cleanup();
  });

  it('finds a run folder the watcher never reported', async () => {
    const ws = new TempWorkspace();
    ws.run(1).writeInfo().writeStatus();
    const workspace = await Workspace.watch(ws.root, { debounceMs: 60_000, livenessMs: 100 });
    const store = await workspace.index();
    const missed = ws.run(2);
    const found = next(workspace.runs, (c) => c.kind === 'updated' && c.runIds.includes(missed.id));
    missed.writeInfo().writeStatus().metrics(['loss'], 2);
    await found;
    assert.equal(getRunDetail(store, missed.id)?.summaries[0]?.count, 2);
    await workspace.close();
    ws.cleanup();
  });

  it('applies a journal another process appended and tells the models subscribers; deployments too', async () => {
    const ws = new TempWorkspace();
    ws.run(1)
      .writeInfo()
      .writeStatus()
      .events([
        { type: 'artifact', path: 'model.pkl', role: 'output', kind: 'model', sha256: 'a'.repeat(64), size: 3 },
      ]);
    const workspace = await Workspace.watch(ws.root, { debounceMs: 50 });
    const store = await workspace.index();
    // Another window (or the CLI) registers a version: only its journal line reaches this process.
    const other = await Workspace.watch(ws.root, { debounceMs: 50 });
    const models = next(workspace.models);
    await (
      await other.modelRegistry(async () => 'tester')
    ).register({ runId: ws.run(1).id, artifactPath: 'model.pkl' });
    await models;
    assert.deepEqual(
      listModels(store).map((m) => m.versions.map((v) => v.version)),
      [[1]],
      'the index followed the journal',
    );

    const deployments = next(workspace.deployments);
    mkdirSync(join(ws.root, '.trackside', 'deployments'), { recursive: true });
    writeFileSync(join(ws.root, '.trackside', 'deployments', 'local.json'), '{}\n');
    await deployments;
    await other.close();
    await workspace.close();
    ws.cleanup();
  });

  it('follows a folder without runs and says when its first run appears, creating nothing before', async () => {
    const root = mkdtempSync(join(tmpdir(), 'trackside-empty-'));
    try {
      const workspace = await Workspace.watch(root, { debounceMs: 50 });
      assert.equal(workspace.hasRuns(), false);
      const appeared = next(workspace.appeared);
      mkdirSync(join(root, '.trackside', 'runs'), { recursive: true });
      await appeared;
      assert.equal(workspace.hasRuns(), true);
      await workspace.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('never watches the index itself: writing rows wakes no subscriber', async () => {
    const ws = new TempWorkspace();
    ws.run(1).writeInfo().writeStatus().metrics(['loss'], 3);
    const workspace = await Workspace.watch(ws.root, { debounceMs: 30 });
    const store = await workspace.index();
    let woken = 0;
    workspace.runs.on(() => woken++);
    for (let i = 0; i < 50; i++) store.query('UPDATE runs SET note = ?').run(`note ${i}`);
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(woken, 0);
    await workspace.close();
    ws.cleanup();
  });
});
