import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ANNOTATIONS_FILE, readAnnotations, writeAnnotations } from '../../../src/core/compare/annotations';
import { readOutputTail } from '../../../src/core/compare/output-tail';
import { loadRunDetail } from '../../../src/core/compare/run-detail';
import { ingestAll } from '../../../src/core/runs/ingest';
import { RunFile } from '../../../src/core/runs/protocol';
import { IndexStore } from '../../../src/core/store/database';
import { TempWorkspace, type RunFolderBuilder } from '../../fixtures/run-folder-builder';

let ws: TempWorkspace;
let store: IndexStore;
let run: RunFolderBuilder;

before(async () => {
  ws = new TempWorkspace('trackside-run-detail-');
  run = ws
    .run(1, { params: { lr: 0.01, optimizer: 'adam' } })
    .writeInfo()
    .writeStatus();
  run.events([
    { type: 'metric', key: 'loss', value: 0.5, step: 0, ts: 1 },
    { type: 'tag', key: 'stage', value: 'tuning' },
    { type: 'artifact', path: 'data/train.csv', role: 'input', kind: 'dataset', sha256: 'a'.repeat(64), size: 1234 },
  ]);
  run.raw('not json\n{"type":"metric"}\n');
  writeFileSync(join(run.dir, RunFile.output), 'loading\nepoch 1 10%\repoch 1 50%\repoch 1 100%\r\ndone\n');
  store = IndexStore.open(':memory:');
  await ingestAll(store, ws.root);
});

after(() => {
  store.close();
  ws.cleanup();
});

test('the run view has the run params, summaries, logged tags, artifacts, output tail and malformed count', async () => {
  const detail = await loadRunDetail(store, ws.root, run.id);
  assert.ok(detail);
  assert.deepEqual(detail.params, [
    { key: 'lr', value: 0.01 },
    { key: 'optimizer', value: 'adam' },
  ]);
  assert.deepEqual(
    detail.summaries.map((s) => [s.key, s.last, s.count]),
    [['loss', 0.5, 1]],
  );
  assert.deepEqual(detail.loggedTags, { stage: 'tuning' });
  assert.deepEqual(
    detail.artifacts.map((a) => [a.role, a.path, a.sha256?.length, a.size]),
    [['input', 'data/train.csv', 64, 1234]],
  );
  // A progress bar redrawn with \r shows as its last state, as in a terminal.
  assert.deepEqual(detail.output.lines, ['loading', 'epoch 1 100%', 'done']);
  assert.equal(detail.malformedLines, 2);
  assert.equal(await loadRunDetail(store, ws.root, 'NO-SUCH-RUN'), null);
});

test('tags and note are written to annotations.json atomically and read back; a broken file reads as empty', async () => {
  await writeAnnotations(run.dir, { tags: { candidate: 'yes' }, note: 'try a longer schedule' }, new Date(0));
  const saved = await readAnnotations(run.dir);
  assert.deepEqual(saved, {
    version: 1,
    tags: { candidate: 'yes' },
    note: 'try a longer schedule',
    updatedAt: '1970-01-01T00:00:00.000Z',
  });
  const detail = await loadRunDetail(store, ws.root, run.id);
  assert.deepEqual(detail?.annotations.tags, { candidate: 'yes' });

  writeFileSync(join(run.dir, ANNOTATIONS_FILE), '{ torn');
  const problems: string[] = [];
  const shown = await loadRunDetail(store, ws.root, run.id, (problem) => problems.push(problem.reason));
  assert.deepEqual(shown?.annotations, { tags: {}, note: '', updatedAt: null });
  assert.deepEqual(problems, ['malformed']);
});

test('the output tail reads only the end of a long log and says it is truncated', async () => {
  const lines = Array.from({ length: 5000 }, (_, i) => `line ${i}`);
  writeFileSync(join(run.dir, RunFile.output), `${lines.join('\n')}\n`);
  const tail = await readOutputTail(run.dir, 100, 4096);
  assert.equal(tail.truncated, true);
  assert.equal(tail.lines.at(-1), 'line 4999');
  assert.ok(tail.lines.length <= 100);
  assert.ok(
    tail.lines.every((l) => /^line \d+$/.test(l)),
    'no partial first line',
  );
});
