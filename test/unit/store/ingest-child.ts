// A separate ingesting process for the multi-process tests: `node --import tsx ingest-child.ts <workspace> [chunkBytes]`.
// Prints one "committed <runId> <offset>" line per committed chunk and "done" at the end.
import { ingestAll } from '../../../src/core/runs/ingest';
import { IndexStore } from '../../../src/core/store/database';

async function main(): Promise<void> {
  const [workspace, chunkBytes] = process.argv.slice(2);
  if (!workspace) throw new Error('usage: ingest-child.ts <workspace> [chunkBytes]');
  const store = IndexStore.openWorkspace(workspace);
  await ingestAll(store, workspace, {
    chunkBytes: chunkBytes ? Number(chunkBytes) : undefined,
    onChunkCommitted: (runId, offset) => process.stdout.write(`committed ${runId} ${offset}\n`),
  });
  store.close();
  process.stdout.write('done\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
