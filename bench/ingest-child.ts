// The ingesting process of the ingest benchmark, separate so its peak RSS is its own:
// `node --import tsx bench/ingest-child.ts <workspace>` prints one JSON line.
import { ingestAll } from '../src/core/runs/ingest';
import { IndexStore } from '../src/core/store/database';
import { indexCounts } from '../src/core/store/maintenance';

async function main(): Promise<void> {
  const workspace = process.argv[2];
  if (!workspace) throw new Error('usage: ingest-child.ts <workspace>');
  const store = IndexStore.openWorkspace(workspace);
  const start = process.hrtime.bigint();
  await ingestAll(store, workspace);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const points = indexCounts(store).metricPoints;
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  store.close();
  // maxRSS is in kilobytes.
  process.stdout.write(`${JSON.stringify({ ms, points, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
