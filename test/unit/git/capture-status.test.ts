import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { captureGit } from '../../../src/core/git/capture';
import { captureGitSync } from '../../../src/core/git/capture-sync';
import { git, initRepo, tempDir } from '../runs/run-fixtures';

describe('git capture of the work tree', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('lists untracked files with unusual names exactly, and a renamed file is a tracked change', async () => {
    initRepo(dir);
    writeFileSync(join(dir, '? odd name'), 'x\n');
    git(dir, 'add', '? odd name');
    git(dir, 'commit', '-q', '-m', 'odd');
    git(dir, 'mv', '? odd name', 'renamed.txt');
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'data', 'line\nbreak.csv'), '1\n');
    writeFileSync(join(dir, 'with space.py'), 'print(1)\n');

    const capture = await captureGit(dir);
    assert.deepEqual(capture?.info.untracked, ['data/line\nbreak.csv', 'with space.py']);
    assert.equal(capture?.info.dirty, true);
    assert.equal(capture?.info.branch, 'main');
    assert.deepEqual(captureGitSync(dir, join(dir, '..', 'sync.patch')), capture?.info);
  });

  it('a rename alone makes the checkout dirty, and a detached HEAD has no branch', async () => {
    initRepo(dir);
    git(dir, 'mv', 'tracked.txt', 'moved.txt');
    const renamed = await captureGit(dir);
    assert.equal(renamed?.info.dirty, true);
    assert.deepEqual(renamed?.info.untracked, []);

    git(dir, 'commit', '-q', '-m', 'move');
    const head = git(dir, 'rev-parse', 'HEAD').trim();
    git(dir, 'checkout', '-q', '--detach');
    const detached = await captureGit(dir);
    assert.equal(detached?.info.commit, head);
    assert.equal(detached?.info.branch, null);
    assert.equal(detached?.info.dirty, false);
  });

  it('the patch written inside the work tree is not counted among its untracked files', async () => {
    initRepo(dir);
    writeFileSync(join(dir, 'tracked.txt'), 'first\nedited\n');
    const runDir = join(dir, '.trackside', 'runs', 'r1');
    mkdirSync(runDir, { recursive: true });
    const capture = await captureGit(dir, { patchPath: join(runDir, 'git.patch') });
    assert.equal(capture?.patchWritten, true);
    assert.ok(existsSync(join(runDir, 'git.patch')));
    assert.deepEqual(capture?.info.untracked, []);
  });

  it('follows GIT_DIR and GIT_WORK_TREE to a repository outside the folder', async () => {
    initRepo(dir);
    const { dir: elsewhere, cleanup: cleanupElsewhere } = tempDir();
    const saved = { GIT_DIR: process.env.GIT_DIR, GIT_WORK_TREE: process.env.GIT_WORK_TREE };
    try {
      assert.equal(await captureGit(elsewhere), null);
      process.env.GIT_DIR = join(dir, '.git');
      process.env.GIT_WORK_TREE = dir;
      const capture = await captureGit(elsewhere);
      assert.equal(capture?.info.commit, git(dir, 'rev-parse', 'HEAD').trim());
      assert.equal(capture?.info.branch, 'main');
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      cleanupElsewhere();
    }
  });
});
