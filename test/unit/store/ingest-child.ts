// A separate ingesting process for the multi-process tests:
// `node --import tsx ingest-child.ts <workspace> [chunkBytes] [slowAfter]`.
// Prints one "committed <runId> <offset>" line per committed chunk and "done" at the end. With
// `slowAfter`, every chunk after that many takes 50 ms more, so a test that kills the process there
// finds it part-way through however loaded the machine is.
import { ingestAll } from '../../../src/core/runs/ingest';
import { IndexStore } from '../../../src/core/store/database';

async function main(): Promise<void> {
  const [workspace, chunkBytes, slowAfter] = process.argv.slice(2);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  let commits = 0;
  if (!workspace) throw new Error('usage: ingest-child.ts <workspace> [chunkBytes]');
  const store = IndexStore.openWorkspace(workspace);
  await ingestAll(store, workspace, {
    chunkBytes: chunkBytes ? Number(chunkBytes) : undefined,
    onChunkCommitted: (runId, offset) => {
      process.stdout.write(`committed ${runId} ${offset}\n`);
      if (slowAfter && ++commits >= Number(slowAfter)) Atomics.wait(pause, 0, 0, 50);
    },
  });
  store.close();
  process.stdout.write('done\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
