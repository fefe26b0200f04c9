import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ReproduceError } from './errors';

/** The git commands a reproduction needs, each bounded by a timeout and failing with a typed error. */

function git(
  cwd: string,
  args: readonly string[],
  timeoutMs = 60_000,
): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'git',
      ['-C', cwd, ...args],
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ ok: !error, stdout: stdout.toString(), stderr: stderr.toString().trim() }),
    );
  });
}

export async function repositoryRoot(cwd: string): Promise<string> {
  const result = await git(cwd, ['rev-parse', '--show-toplevel']);
  if (!result.ok) throw new ReproduceError('not-a-repository', `${cwd} is not inside a git repository`);
  return result.stdout.trim();
}

export async function addDetachedWorktree(repository: string, path: string, commit: string): Promise<void> {
  const known = await git(repository, ['cat-file', '-e', `${commit}^{commit}`]);
  if (!known.ok) {
    throw new ReproduceError(
      'commit-missing',
      `commit ${commit.slice(0, 12)} is not in this repository — fetch it (git fetch --all) and try again`,
    );
  }
  const added = await git(repository, ['worktree', 'add', '--detach', path, commit]);
  if (!added.ok) throw new ReproduceError('worktree-failed', `git worktree add failed: ${added.stderr}`);
}

/** Applies the run's uncommitted changes (`git diff HEAD` at start, binary hunks included). */
export async function applyPatch(worktree: string, patchFile: string): Promise<void> {
  const applied = await git(worktree, ['apply', '--whitespace=nowarn', '--binary', patchFile]);
  if (!applied.ok) {
    throw new ReproduceError(
      'patch-failed',
      `the run's uncommitted changes (git.patch) do not apply: ${applied.stderr}`,
    );
  }
}

/**
 * Removes a linked worktree: its folder, and git's record of it in the repository it belongs to
 * (found from the worktree itself). A folder git no longer knows is removed all the same.
 */
export async function removeWorktree(path: string): Promise<void> {
  const common = await git(path, ['rev-parse', '--path-format=absolute', '--git-common-dir']);
  const repository = common.ok ? dirname(common.stdout.trim()) : null;
  if (repository) await git(repository, ['worktree', 'remove', '--force', path]);
  await rm(path, { recursive: true, force: true });
  if (repository) await git(repository, ['worktree', 'prune']);
}
