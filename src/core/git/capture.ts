import { createWriteStream } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { GitInfo } from '../runs/protocol';
import { gitCommandEnvironment, mayBeInWorkTree, readGit, spawnGit } from './git-process';
import { parseStatusV2 } from './status-v2';
import { stripUrlCredentials } from './remote-url';

/**
 * Reads the git state a run starts from: commit, branch, dirty flag, untracked files, remote, and
 * the uncommitted diff. Read-only: `GIT_OPTIONAL_LOCKS=0` keeps `git status` from taking the index
 * lock, so a capture never collides with the user's own git commands.
 *
 * It runs before the user's command starts, so it is kept short: `git status --porcelain=v2
 * --branch` gives the commit, branch and changed files at once, beside `rev-parse --show-toplevel`
 * and the remotes, then the diff is written. Outside any repository no git process starts at all.
 */

export interface GitCapture {
  info: GitInfo;
  /** Top folder of the repository. */
  root: string;
  /** Whether a non-empty patch was written. */
  patchWritten: boolean;
}

/**
 * Captures git state for `cwd`; resolves to null when `cwd` is not inside a work tree (or git is
 * not installed). When `patchPath` is given, `git diff HEAD` (staged and unstaged changes, binary
 * safe) is streamed there; an empty diff leaves no file.
 */
export async function captureGit(
  cwd: string,
  options: { patchPath?: string; timeoutMs?: number } = {},
): Promise<GitCapture | null> {
  const env = gitCommandEnvironment(process.env);
  if (!mayBeInWorkTree(cwd, env)) return null;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const git = (args: string[]): Promise<Buffer | null> => readGit(cwd, args, env, timeoutMs);
  const [root, statusOutput, remotes] = await Promise.all([
    git(['rev-parse', '--show-toplevel']),
    git(['status', '--porcelain=v2', '--branch', '--untracked-files=all', '-z']),
    git(['config', '--get-regexp', '^remote\\..*\\.url$']),
  ]);
  if (root === null) return null;
  const status = statusOutput ? parseStatusV2(statusOutput.toString('utf8')) : null;
  // Without a readable status (a timeout in a huge work tree), commit and branch are still asked for.
  const [commit, branch] = status
    ? [status.commit, status.branch]
    : await Promise.all([
        git(['rev-parse', '--verify', '-q', 'HEAD']).then((out) => out?.toString().trim() || null),
        git(['symbolic-ref', '--short', '-q', 'HEAD']).then((out) => out?.toString().trim() || null),
      ]);
  // After the status, never beside it: the patch file may lie in the work tree, and would be listed as untracked.
  const patchWritten = options.patchPath
    ? await writePatch(cwd, options.patchPath, commit !== null ? 'HEAD' : '--cached', env, timeoutMs)
    : false;
  const untracked = status ? [...status.untracked].sort() : [];
  return {
    root: root.toString('utf8').trim(),
    patchWritten,
    info: {
      commit,
      branch,
      dirty: (status?.trackedChanges ?? false) || untracked.length > 0 || patchWritten,
      remote: pickRemote(remotes?.toString('utf8') ?? ''),
      untracked,
    },
  };
}

/** `origin` when there is one, else the first remote, from `git config --get-regexp` output; credentials stripped. */
export function pickRemote(configOutput: string): string | null {
  const remotes = new Map<string, string>();
  for (const line of configOutput.split('\n')) {
    const match = /^remote\.(.+)\.url\s+(.+)$/.exec(line.trim());
    if (match?.[1] && match[2] && !remotes.has(match[1])) remotes.set(match[1], match[2]);
  }
  const url = remotes.get('origin') ?? remotes.values().next().value;
  return url ? stripUrlCredentials(url) : null;
}

/**
 * The patch is streamed as raw bytes from git straight into the file: decoding it as text would
 * corrupt non-UTF-8 content in a diff.
 */
async function writePatch(
  cwd: string,
  patchPath: string,
  against: 'HEAD' | '--cached',
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<boolean> {
  const child = spawnGit(cwd, ['diff', '--binary', '--no-color', '--no-ext-diff', against], env);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', () => resolve(null));
    child.on('close', (code) => resolve(code));
  });
  const written = pipeline(child.stdout!, createWriteStream(patchPath)).then(
    () => true,
    () => false,
  );
  const [code, ok] = await Promise.all([exited, written]);
  clearTimeout(timer);
  const size = await stat(patchPath).catch(() => null);
  if (code !== 0 || !ok || !size || size.size === 0) {
    await unlink(patchPath).catch(() => undefined);
    return false;
  }
  return true;
}
