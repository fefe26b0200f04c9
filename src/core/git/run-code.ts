import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { simpleGit } from 'simple-git';
import { UserError } from '../user-error';

/** Why the code a run used cannot be rebuilt. */
export class RunCodeError extends UserError {
  constructor(
    readonly reason: 'no-git' | 'no-commit' | 'commit-missing' | 'patch-failed',
    message: string,
  ) {
    super(message);
    this.name = 'RunCodeError';
  }
}

export interface ChangedFile {
  /** Path relative to the repository root. */
  path: string;
  /** The file at the run's commit (absent for a file the patch adds). */
  atCommit: string | null;
  /** The file as the run saw it: commit + patch (absent for a file the patch deletes). */
  asRun: string | null;
}

export interface RunCode {
  repoRoot: string;
  commit: string;
  files: ChangedFile[];
}

/**
 * Rebuilds, in a temp folder, the files a run's uncommitted patch touched: each as it was at the
 * run's commit and as the run saw it. The user's working tree and git state are never touched.
 */
export async function materializeRunChanges(cwd: string, commit: string | null, patchPath: string): Promise<RunCode> {
  if (!commit) throw new RunCodeError('no-commit', 'the run did not start inside a git repository with a commit');
  const git = simpleGit({ baseDir: cwd });
  let repoRoot: string;
  try {
    repoRoot = (await git.revparse(['--show-toplevel'])).trim();
  } catch {
    throw new RunCodeError('no-git', `${cwd} is no longer inside a git repository`);
  }
  const repo = simpleGit({ baseDir: repoRoot });
  try {
    await repo.catFile(['-e', `${commit}^{commit}`]);
  } catch {
    throw new RunCodeError('commit-missing', `commit ${commit.slice(0, 8)} is not in this repository (fetch it first)`);
  }
  let patch: string;
  try {
    patch = await readFile(patchPath, 'utf8');
  } catch {
    return { repoRoot, commit, files: [] };
  }
  const paths = patchedPaths(patch);
  const base = await mkdtemp(join(tmpdir(), 'trackside-run-code-'));
  const before = join(base, 'commit');
  const after = join(base, 'run');
  for (const path of paths) {
    const content = await optionalShow(repoRoot, `${commit}:${path}`);
    if (content === null) continue;
    for (const root of [before, after]) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), content);
    }
  }
  await mkdir(after, { recursive: true });
  try {
    // Outside a repository, `git apply` patches plain files relative to its working folder.
    await simpleGit({ baseDir: after }).raw(['apply', '--whitespace=nowarn', patchPath]);
  } catch (error) {
    throw new RunCodeError('patch-failed', `the run's patch does not apply to its commit: ${(error as Error).message}`);
  }
  const files = await Promise.all(
    paths.map(async (path) => ({
      path,
      atCommit: (await exists(join(before, path))) ? join(before, path) : null,
      asRun: (await exists(join(after, path))) ? join(after, path) : null,
    })),
  );
  return { repoRoot, commit, files };
}

/** Paths a unified git diff touches (the `b/` side, or the `a/` side of a deletion). */
export function patchedPaths(patch: string): string[] {
  const paths = new Set<string>();
  for (const match of patch.matchAll(/^diff --git a\/(.+?) b\/(.+)$/gm)) paths.add(match[2]!);
  return [...paths];
}

async function optionalShow(repoRoot: string, spec: string): Promise<Buffer | null> {
  try {
    const text = await simpleGit({ baseDir: repoRoot }).binaryCatFile(['-p', spec]);
    return Buffer.from(text);
  } catch {
    return null;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await readFile(path);
    return true;
  } catch {
    return false;
  }
}
