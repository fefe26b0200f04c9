import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { materializeRunChanges, RunCodeError } from '../../../src/core/git/run-code';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
}

test('rebuilds the files a run changed, at its commit and as the run saw them', async () => {
  const repo = await mkdtemp(join(tmpdir(), 'trackside-runcode-'));
  dirs.push(repo);
  git(repo, 'init', '-q');
  git(repo, 'config', 'user.email', 't@example.com');
  git(repo, 'config', 'user.name', 'T');
  await writeFile(join(repo, 'train.py'), 'lr = 0.1\nprint(lr)\n');
  git(repo, 'add', '.');
  git(repo, 'commit', '-qm', 'init');
  const commit = git(repo, 'rev-parse', 'HEAD');
  await writeFile(join(repo, 'train.py'), 'lr = 0.5\nprint(lr)\n');
  const patchPath = join(repo, 'run.patch');
  await writeFile(patchPath, execFileSync('git', ['diff', 'HEAD'], { cwd: repo }));
  // The user keeps editing after the run: the rebuilt files must not follow.
  await writeFile(join(repo, 'train.py'), 'lr = 0.9\n');

  const code = await materializeRunChanges(repo, commit, patchPath);
  assert.equal(code.files.length, 1);
  const [file] = code.files;
  assert.equal(file!.path, 'train.py');
  assert.equal(await readFile(file!.atCommit!, 'utf8'), 'lr = 0.1\nprint(lr)\n');
  assert.equal(await readFile(file!.asRun!, 'utf8'), 'lr = 0.5\nprint(lr)\n');
  assert.equal(await readFile(join(repo, 'train.py'), 'utf8'), 'lr = 0.9\n');
});

test('a commit the repository lacks is a clear error', async () => {
  const repo = await mkdtemp(join(tmpdir(), 'trackside-runcode-'));
  dirs.push(repo);
  git(repo, 'init', '-q');
  await assert.rejects(
    materializeRunChanges(repo, '0123456789abcdef0123456789abcdef01234567', join(repo, 'none.patch')),
    (e: unknown) => e instanceof RunCodeError && e.reason === 'commit-missing',
  );
});
