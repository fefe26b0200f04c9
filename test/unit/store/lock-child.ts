// Holds the write lock of a workspace's index, as a long reindex in another window would:
// `node --import tsx lock-child.ts <workspace> <seconds>`. Prints "locked" once it holds it.
import { IndexStore } from '../../../src/core/store/database';

const [workspace, seconds] = process.argv.slice(2);
if (!workspace || !seconds) throw new Error('usage: lock-child.ts <workspace> <seconds>');
const store = IndexStore.openWorkspace(workspace);
store.db.exec('BEGIN IMMEDIATE');
process.stdout.write('locked\n');
setTimeout(
  () => {
    store.db.exec('COMMIT');
    store.close();
  },
  Number(seconds) * 1000,
);
