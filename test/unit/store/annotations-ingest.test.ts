import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeAnnotations } from '../../../src/core/compare/annotations';
import { ingestAll } from '../../../src/core/runs/ingest';
import { reindex } from '../../../src/core/runs/reindex';
import { IndexStore } from '../../../src/core/store/database';
import { getRunDetail } from '../../../src/core/store/run-detail';
import { queryRuns } from '../../../src/core/store/runs';
import { TempWorkspace } from '../../fixtures/run-folder-builder';

const workspace = new TempWorkspace();
after(() => workspace.cleanup());

test('a rename, tags and a note made in the editor reach the index and survive a reindex', async () => {
  const run = workspace
    .run(1, { name: 'brave-otter' })
    .writeInfo()
    .writeStatus({ status: 'finished' })
    .metrics(['loss'], 3);
  const store = IndexStore.openWorkspace(workspace.root);
  try {
    await ingestAll(store, workspace.root);
    const runId = run.info().id;
    const runDir = join(workspace.runsDir, runId);
    await writeAnnotations(runDir, { name: 'baseline lr=0.1', tags: { dataset: 'v2', keep: '' }, note: 'converges' });
    await ingestAll(store, workspace.root);

    const detail = getRunDetail(store, runId)!;
    assert.equal(detail.name, 'baseline lr=0.1');
    assert.equal(detail.note, 'converges');
    assert.deepEqual(
      detail.tags.map((t) => [t.key, t.value]),
      [
        ['dataset', 'v2'],
        ['keep', ''],
      ],
    );
    assert.equal(queryRuns(store, { tag: { key: 'dataset', value: 'v2' } }).total, 1);
    assert.equal(queryRuns(store, { text: 'baseline' }).total, 1);

    await reindex(store, workspace.root);
    assert.equal(getRunDetail(store, runId)!.name, 'baseline lr=0.1');

    // Removing the name and a tag in the editor restores the generated name and drops the tag.
    await writeAnnotations(runDir, { tags: { keep: '' }, note: '' });
    await ingestAll(store, workspace.root);
    const after = getRunDetail(store, runId)!;
    assert.equal(after.name, 'brave-otter');
    assert.equal(after.note, null);
    assert.deepEqual(
      after.tags.map((t) => t.key),
      ['keep'],
    );
  } finally {
    store.close();
  }
});
