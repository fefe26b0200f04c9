import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IngestWatcher, type IngestChange } from '../../../src/core/runs/ingest-watcher';
import { IndexStore } from '../../../src/core/store/database';
import { getRunDetail } from '../../../src/core/store/queries-detail';
import { TempWorkspace } from '../../fixtures/run-folder-builder';

function nextChange(watcher: IngestWatcher, matches: (c: IngestChange) => boolean): Promise<IngestChange> {
  return new Promise((resolve) => {
    const off = watcher.changes.on((change) => {
      if (matches(change)) {
        off();
        resolve(change);
      }
    });
  });
}

describe('IngestWatcher', () => {
  it('ingests new runs and appended lines, and drops deleted runs, telling subscribers', async () => {
    const ws = new TempWorkspace();
    const existing = ws.run(1).writeInfo().writeStatus().metrics(['loss'], 3);
    const store = IndexStore.openWorkspace(ws.root);
    const watcher = await IngestWatcher.start(store, ws.root, { debounceMs: 50 });
    assert.equal(getRunDetail(store, existing.id)?.summaries[0]?.count, 3, 'caught up at start');

    const created = ws.run(2);
    const added = nextChange(watcher, (c) => c.kind === 'updated' && c.runIds.includes(created.id));
    created.writeInfo().metrics(['loss'], 4);
    await added;
    let count = getRunDetail(store, created.id)?.summaries[0]?.count ?? 0;
    while (count < 4) {
      await nextChange(watcher, (c) => c.runIds.includes(created.id));
      count = getRunDetail(store, created.id)?.summaries[0]?.count ?? 0;
    }

    const removed = nextChange(watcher, (c) => c.kind === 'removed');
    existing.remove();
    assert.deepEqual((await removed).runIds, [existing.id]);
    assert.equal(getRunDetail(store, existing.id), null);

    await watcher.close();
    store.close();
    ws.cleanup();
  });
});
