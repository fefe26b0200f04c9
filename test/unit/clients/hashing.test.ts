import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { hashPath, sha256File, type FileStamp, type HashLookup } from '../../../src/core/hashing/file-hash';
import { HashCache, hashCachePath, hashPathCached } from '../../../src/core/hashing/hash-cache';
import { PYTHON_CLIENT_DIR, tempDir } from '../runs/run-fixtures';
import { PYTHON } from '../../fixtures/python';

function pythonHash(path: string, workspace?: string): { sha256: string; size: number } {
  const code = workspace
    ? 'import sys, trackside as t; c = t._HashCache(sys.argv[2]); print(*t.hash_path(sys.argv[1], c)); c.save()'
    : 'import sys, trackside as t; print(*t.hash_path(sys.argv[1]))';
  const result = spawnSync(PYTHON, ['-c', code, path, ...(workspace ? [workspace] : [])], {
    env: { ...process.env, PYTHONPATH: PYTHON_CLIENT_DIR },
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
  const [sha256 = '', size = ''] = result.stdout.trim().split(' ');
  return { sha256, size: Number(size) };
}

/** Counts cache misses: each miss is a file read in full. */
class CountingLookup implements HashLookup {
  misses = 0;
  constructor(private readonly inner: HashLookup) {}
  get(path: string, stamp: FileStamp): string | undefined {
    const hit = this.inner.get(path, stamp);
    if (!hit) this.misses++;
    return hit;
  }
  set(path: string, stamp: FileStamp, sha256: string): void {
    this.inner.set(path, stamp, sha256);
  }
}

describe('content hashing', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  function makeDataset(): string {
    const root = join(dir, 'dataset');
    mkdirSync(join(root, 'images', 'b'), { recursive: true });
    writeFileSync(join(root, 'labels.csv'), 'id,label\n1,cat\n');
    writeFileSync(join(root, 'images', 'b', 'x.bin'), Buffer.alloc(3 * 1024 * 1024, 7));
    writeFileSync(join(root, 'images', 'a.png'), Buffer.from([137, 80, 78, 71]));
    writeFileSync(join(root, 'images', 'Z-upper.txt'), 'upper sorts first');
    writeFileSync(join(root, 'ünïcode.txt'), 'non-ascii name');
    symlinkSync(join(root, 'labels.csv'), join(root, 'link-to-labels.csv'));
    symlinkSync(join(root, 'images'), join(root, 'link-to-images'));
    return root;
  }

  it('hashes a file by streaming and a folder by its sorted file list', async () => {
    const root = makeDataset();
    assert.equal(
      await sha256File(join(root, 'labels.csv')),
      createHash('sha256').update('id,label\n1,cat\n').digest('hex'),
    );
    const folder = await hashPath(root);
    assert.equal(folder.kind, 'folder');
    assert.equal(folder.files, 6, 'the linked file counts, the linked folder is not followed');
    assert.equal(
      folder.size,
      2 * 'id,label\n1,cat\n'.length + 3 * 1024 * 1024 + 4 + 'upper sorts first'.length + 'non-ascii name'.length,
    );
  });

  it('gives the same digest as the Python client for files and folders', async () => {
    const root = makeDataset();
    assert.deepEqual(pythonHash(root), { sha256: (await hashPath(root)).sha256, size: (await hashPath(root)).size });
    const file = join(root, 'images', 'b', 'x.bin');
    assert.equal(pythonHash(file).sha256, (await hashPath(file)).sha256);
  });

  it('reads unchanged files from the cache and only changed files from disk', async () => {
    const root = makeDataset();
    const first = new CountingLookup(await HashCache.load(hashCachePath(dir)));
    const digest = (await hashPath(root, first)).sha256;
    assert.equal(first.misses, 6);
    await hashPathCached(dir, root); // stores the cache file

    const reloaded = await HashCache.load(hashCachePath(dir));
    const second = new CountingLookup(reloaded);
    assert.equal((await hashPath(root, second)).sha256, digest);
    assert.equal(second.misses, 0, 'nothing re-read');

    writeFileSync(join(root, 'images', 'a.png'), Buffer.from([137, 80, 78, 72]));
    const third = new CountingLookup(reloaded);
    assert.notEqual((await hashPath(root, third)).sha256, digest);
    assert.equal(third.misses, 1, 'only the changed file is read');
  });

  it('shares its cache file with the Python client', async () => {
    const file = join(dir, 'big.bin');
    const mtime = new Date('2024-05-01T12:00:00Z');
    writeFileSync(file, Buffer.alloc(1024, 1));
    utimesSync(file, mtime, mtime);
    const real = (await hashPathCached(dir, file)).sha256;
    // Same size, same mtime, other bytes: only a reader that trusts the cache sees the old digest.
    writeFileSync(file, Buffer.alloc(1024, 2));
    utimesSync(file, mtime, mtime);
    assert.equal(pythonHash(file, dir).sha256, real);
  });
});
