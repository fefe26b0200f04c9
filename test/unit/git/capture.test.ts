import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { captureGit } from '../../../src/core/git/capture';
import { captureGitSync } from '../../../src/core/git/capture-sync';
import { stripUrlCredentials } from '../../../src/core/git/remote-url';
import { git, initRepo, tempDir } from '../runs/run-fixtures';

describe('git capture', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('strips credentials from remote URLs and keeps ssh users', () => {
    assert.equal(stripUrlCredentials('https://user:token@github.com/x/y.git'), 'https://github.com/x/y.git');
    assert.equal(stripUrlCredentials('https://ghp_abc123@github.com/x/y.git'), 'https://github.com/x/y.git');
    assert.equal(stripUrlCredentials('ssh://git:pw@host:22/x.git'), 'ssh://git@host:22/x.git');
    assert.equal(stripUrlCredentials('git@github.com:x/y.git'), 'git@github.com:x/y.git');
    assert.equal(stripUrlCredentials('https://github.com/x/y.git'), 'https://github.com/x/y.git');
  });

  it('writes a binary-safe patch of staged and unstaged changes that re-applies byte for byte', async () => {
    initRepo(dir);
    const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]); // "café" in Latin-1: not valid UTF-8
    const binary = Buffer.from([0, 1, 2, 255, 254, 0, 10, 13]);
    writeFileSync(join(dir, 'latin1.txt'), latin1);
    writeFileSync(join(dir, 'weights.bin'), binary);
    git(dir, 'add', 'latin1.txt', 'weights.bin');
    writeFileSync(join(dir, 'tracked.txt'), 'first\nunstaged edit\n');
    const patchPath = join(dir, 'run.patch');
    const capture = await captureGit(dir, { patchPath });
    assert.ok(capture?.patchWritten);
    assert.equal(capture.info.dirty, true);

    git(dir, 'reset', '-q', '--hard');
    git(dir, 'apply', '--binary', patchPath);
    assert.deepEqual(readFileSync(join(dir, 'latin1.txt')), latin1);
    assert.deepEqual(readFileSync(join(dir, 'weights.bin')), binary);
    assert.equal(readFileSync(join(dir, 'tracked.txt'), 'utf8'), 'first\nunstaged edit\n');
  });

  it('a clean checkout is not dirty and leaves no patch; a repo without commits still reports its branch', async () => {
    initRepo(dir);
    const clean = await captureGit(dir, { patchPath: join(dir, '..', 'clean.patch') });
    assert.equal(clean?.info.dirty, false);
    assert.equal(clean?.patchWritten, false);

    const { dir: empty, cleanup: cleanupEmpty } = tempDir();
    try {
      git(empty, 'init', '-q', '-b', 'trunk');
      writeFileSync(join(empty, 'a.py'), 'print(1)\n');
      const capture = await captureGit(empty);
      assert.equal(capture?.info.commit, null);
      assert.equal(capture?.info.branch, 'trunk');
      assert.deepEqual(capture?.info.untracked, ['a.py']);
    } finally {
      cleanupEmpty();
    }
  });

  it('the synchronous capture used by the Node client agrees with the async one', async () => {
    initRepo(dir);
    git(dir, 'remote', 'add', 'upstream', 'https://bob:pw@example.org/r.git');
    writeFileSync(join(dir, 'new.txt'), 'x');
    const asyncInfo = await captureGit(dir);
    const syncInfo = captureGitSync(dir, join(dir, '..', 'sync.patch'));
    assert.deepEqual(syncInfo, asyncInfo?.info);
    assert.equal(syncInfo?.remote, 'https://example.org/r.git');
  });

  it('returns null outside a repository', async () => {
    assert.equal(await captureGit(dir), null);
    assert.equal(captureGitSync(dir, join(dir, 'x.patch')), null);
  });
});
