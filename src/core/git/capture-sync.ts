import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { GitInfo } from '../runs/protocol';
import { pickRemote } from './capture';

/**
 * The synchronous twin of captureGit, for the Node client: a script's first `logMetric()` call
 * creates its run on the spot and cannot await. Same fields, same read-only git invocations.
 */
export function captureGitSync(cwd: string, patchPath: string): GitInfo | null {
  const git = (args: string[]): Buffer | null => {
    try {
      return execFileSync('git', args, {
        cwd,
        env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 10_000,
        maxBuffer: 512 * 1024 * 1024,
      });
    } catch {
      return null;
    }
  };
  if (!git(['rev-parse', '--show-toplevel'])) return null;
  const commit = git(['rev-parse', '--verify', '-q', 'HEAD'])?.toString().trim() || null;
  const branch = git(['symbolic-ref', '--short', '-q', 'HEAD'])?.toString().trim() || null;
  const entries = (git(['status', '--porcelain', '--untracked-files=all', '-z'])?.toString() ?? '')
    .split('\0')
    .filter(Boolean);
  const untracked = entries
    .filter((e) => e.startsWith('?? '))
    .map((e) => e.slice(3))
    .sort();
  const tracked = entries.some((e) => !e.startsWith('?? ') && e.length > 3 && e[2] === ' ');
  const patch = git(['diff', '--binary', '--no-color', '--no-ext-diff', commit ? 'HEAD' : '--cached']);
  if (patch && patch.length > 0) writeFileSync(patchPath, patch);
  return {
    commit,
    branch,
    dirty: tracked || untracked.length > 0 || Boolean(patch && patch.length > 0),
    remote: pickRemote(git(['config', '--get-regexp', '^remote\\..*\\.url$'])?.toString() ?? ''),
    untracked,
  };
}
