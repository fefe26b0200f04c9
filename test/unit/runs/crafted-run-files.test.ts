import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RunFile } from '../../../src/core/runs/protocol';
import { ingestAll } from '../../../src/core/runs/ingest';
import { RunFileError } from '../../../src/core/runs/errors';
import { readRunInfo, readRunStatus } from '../../../src/core/runs/reader';
import { IndexStore } from '../../../src/core/store/database';
import { TempWorkspace } from '../../fixtures/run-folder-builder';

// A run folder from someone else's repository can hold a FIFO or a link to /dev/zero where a run
// file should be: reading it would hang or fill memory. It is refused as unreadable, at once.

describe('run files that are not regular files', () => {
  it('are refused without being read, and the rest of the index still fills', async () => {
    const ws = new TempWorkspace('trackside-crafted-');
    try {
      const good = ws.run(1).writeInfo().writeStatus().metrics(['loss'], 3);
      const fifo = ws.run(2);
      execFileSync('mkfifo', [join(fifo.dir, RunFile.run)]);
      const zero = ws.run(3).writeInfo();
      rmSync(join(zero.dir, RunFile.status), { force: true });
      symlinkSync('/dev/zero', join(zero.dir, RunFile.status));
      symlinkSync('/dev/zero', join(zero.dir, RunFile.events));

      await assert.rejects(
        readRunInfo(fifo.dir),
        (e: unknown) => e instanceof RunFileError && e.reason === 'unreadable',
      );
      assert.equal(await readRunStatus(zero.dir), null);
      const store = IndexStore.open(join(ws.root, '.trackside', 'index.db'));
      try {
        const result = await ingestAll(store, ws.root);
        assert.ok(result.changed.includes(good.id));
        assert.ok(result.invalid.some((i) => i.runId === fifo.id));
      } finally {
        store.close();
      }
    } finally {
      ws.cleanup();
    }
  });
});
