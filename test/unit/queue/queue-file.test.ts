import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { QueueFileError, QueueStore } from '../../../src/core/queue/queue-store';

// A queue.json from someone else's repository: the runner writes status.json into each item's
// folder and follows its pid, so neither may point anywhere else.
describe('queue.json from disk', () => {
  const root = mkdtempSync(join(tmpdir(), 'trackside-queue-file-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, '.trackside'));
  const id = '01JTESTQUEUE0000000000000A';
  const item = (fields: Record<string, unknown>) => ({
    id,
    runDir: join(root, '.trackside', 'runs', id),
    command: ['python', 'train.py'],
    cwd: root,
    launcherArgs: [],
    experiment: 'train',
    name: 'queued',
    enqueuedAt: new Date().toISOString(),
    state: 'running',
    pid: 4242,
    host: 'here',
    startedAt: null,
    ...fields,
  });
  const read = (items: unknown[]) => {
    writeFileSync(join(root, '.trackside', 'queue.json'), JSON.stringify({ version: 1, items }));
    return new QueueStore(root).read();
  };

  it('reads a well-formed item', async () => {
    assert.equal((await read([item({})])).items[0]?.id, id);
  });

  it('refuses an item whose folder is outside .trackside/runs, whose id is a path, or whose pid is 1 or less', async () => {
    const refusals: [Record<string, unknown>, RegExp][] = [
      [{ runDir: join(root, 'precious') }, /run 01JTESTQUEUE0000000000000A names .*precious, not its folder/],
      [{ runDir: join(root, '.trackside', 'runs', id, '..', '..', '..') }, /not its folder/],
      [{ id: '../../precious', runDir: join(root, 'precious') }, /items\.0\.id: a queued run id is a run folder name/],
      [{ pid: 1 }, /items\.0\.pid/],
      [{ pid: -1 }, /items\.0\.pid/],
    ];
    for (const [fields, message] of refusals) {
      await assert.rejects(read([item(fields)]), (error: unknown) => {
        assert.ok(error instanceof QueueFileError);
        assert.match(error.message, message);
        assert.match(error.message, /fix or delete it/);
        return true;
      });
    }
  });
});
