// The index benchmarks of one runtime, in a process of its own so it uses that runtime's SQLite
// driver: `node --import tsx bench/driver-child.ts` prints one JSON line `{ driver, node, results }`.
import { sqliteDriver } from '../src/core/store/drivers';
import { benchComparePayload } from './compare-payload';
import { benchIngest } from './ingest';

async function main(): Promise<void> {
  const results = [...(await benchIngest()), ...benchComparePayload()];
  const { info } = sqliteDriver();
  process.stdout.write(
    `${JSON.stringify({ driver: info.name, sqlite: info.sqliteVersion, node: process.version, results })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
