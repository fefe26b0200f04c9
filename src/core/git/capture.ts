import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { simpleGit, type SimpleGit } from 'simple-git';
import type { GitInfo } from '../runs/protocol';
import { stripUrlCredentials } from './remote-url';

/**
 * Reads the git state a run starts from: commit, branch, dirty flag, untracked files, remote, and
 * the uncommitted diff. Read-only: `GIT_OPTIONAL_LOCKS=0` keeps `git status` from taking the index
 * lock, so a capture never collides with the user's own git commands.
 */

export interface GitCapture {
  info: GitInfo;
  /** Top folder of the repository. */
  root: string;
  /** Whether a non-empty patch was written. */
  patchWritten: boolean;
}

/**
 * Variables simple-git refuses to run with (it guards against command injection through them). VS Code's
 * git extension sets GIT_ASKPASS in every terminal and task, so a run started from the editor would
 * otherwise record no commit at all. The capture only reads and never prompts, so none of them is needed.
 */
const PROMPT_AND_EDITOR_VARIABLES = ['GIT_ASKPASS', 'SSH_ASKPASS', 'GIT_EDITOR', 'GIT_SEQUENCE_EDITOR', 'EDITOR'];

const GIT_ENV = {
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !PROMPT_AND_EDITOR_VARIABLES.includes(key))),
  GIT_OPTIONAL_LOCKS: '0',
  GIT_TERMINAL_PROMPT: '0',
  LC_ALL: 'C',
};

function gitAt(cwd: string, timeoutMs: number): SimpleGit {
  return simpleGit({ baseDir: cwd, timeout: { block: timeoutMs } }).env(GIT_ENV);
}

async function optional<T>(work: Promise<T>): Promise<T | null> {
  try {
    return await work;
  } catch {
    return null;
  }
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
  const timeoutMs = options.timeoutMs ?? 10_000;
  const git = gitAt(cwd, timeoutMs);
  const root = await optional(git.revparse(['--show-toplevel']));
  if (!root) return null;
  const [commit, branch, status, remotes] = await Promise.all([
    optional(git.revparse(['--verify', '-q', 'HEAD'])),
    optional(git.raw(['symbolic-ref', '--short', '-q', 'HEAD'])),
    optional(git.status(['--untracked-files=all'])),
    optional(git.raw(['config', '--get-regexp', '^remote\\..*\\.url$'])),
  ]);
  const headCommit = commit?.trim() || null;
  const patchWritten = options.patchPath
    ? await writePatch(cwd, options.patchPath, headCommit !== null, timeoutMs)
    : false;
  const untracked = status ? [...status.not_added].sort() : [];
  const trackedChanges = status ? status.files.some((f) => f.index !== '?' || f.working_dir !== '?') : false;
  return {
    root: root.trim(),
    patchWritten,
    info: {
      commit: headCommit,
      branch: branch?.trim() || null,
      dirty: trackedChanges || untracked.length > 0 || patchWritten,
      remote: pickRemote(remotes ?? ''),
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
 * simple-git hands back output as a decoded string, which would corrupt non-UTF-8 text in a diff;
 * the patch is therefore streamed as raw bytes from git straight into the file.
 */
async function writePatch(cwd: string, patchPath: string, hasHead: boolean, timeoutMs: number): Promise<boolean> {
  const args = ['diff', '--binary', '--no-color', '--no-ext-diff', hasHead ? 'HEAD' : '--cached'];
  const child = spawn('git', args, { cwd, env: GIT_ENV, stdio: ['ignore', 'pipe', 'ignore'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', () => resolve(null));
    child.on('close', (code) => resolve(code));
  });
  const written = pipeline(child.stdout, createWriteStream(patchPath)).then(
    () => true,
    () => false,
  );
  const [code, ok] = await Promise.all([exited, written]);
  clearTimeout(timer);
  const size = await optional(stat(patchPath));
  if (code !== 0 || !ok || !size || size.size === 0) {
    await unlink(patchPath).catch(() => undefined);
    return false;
  }
  return true;
}
