// Opens an index in a separate process (possibly another Node, so another SQLite driver) and prints
// `{ driver, userVersion, dump }` as one JSON line: `node --import tsx dump-child.ts <workspace>`.
import { IndexStore } from '../../../src/core/store/database';
import { dumpIndex } from './index-dump';

const workspace = process.argv[2];
if (!workspace) throw new Error('usage: dump-child.ts <workspace>');
const store = IndexStore.openWorkspace(workspace);
try {
  const userVersion = store.db.pragma('user_version');
  process.stdout.write(`${JSON.stringify({ driver: store.driver.name, userVersion, dump: dumpIndex(store) })}\n`);
} finally {
  store.close();
}
