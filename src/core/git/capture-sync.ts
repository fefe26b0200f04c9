import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { GitInfo } from '../runs/protocol';
import { pickRemote } from './capture';
import { gitCommandEnvironment, mayBeInWorkTree } from './git-process';
import { parseStatusV2 } from './status-v2';

/**
 * The synchronous twin of captureGit, for the Node client: a script's first `logMetric()` call
 * creates its run on the spot and cannot await. Same fields, same read-only git invocations.
 */
export function captureGitSync(cwd: string, patchPath: string): GitInfo | null {
  const env = gitCommandEnvironment(process.env);
  if (!mayBeInWorkTree(cwd, env)) return null;
  const git = (args: string[]): Buffer | null => {
    try {
      return execFileSync('git', args, {
        cwd,
        env,
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 10_000,
        maxBuffer: 512 * 1024 * 1024,
      });
    } catch {
      return null;
    }
  };
  if (!git(['rev-parse', '--show-toplevel'])) return null;
  const statusOutput = git(['status', '--porcelain=v2', '--branch', '--untracked-files=all', '-z']);
  const status = statusOutput ? parseStatusV2(statusOutput.toString('utf8')) : null;
  const commit = status ? status.commit : git(['rev-parse', '--verify', '-q', 'HEAD'])?.toString().trim() || null;
  const branch = status ? status.branch : git(['symbolic-ref', '--short', '-q', 'HEAD'])?.toString().trim() || null;
  const untracked = status ? [...status.untracked].sort() : [];
  const patch = git(['diff', '--binary', '--no-color', '--no-ext-diff', commit ? 'HEAD' : '--cached']);
  if (patch && patch.length > 0) writeFileSync(patchPath, patch);
  return {
    commit,
    branch,
    dirty: (status?.trackedChanges ?? false) || untracked.length > 0 || Boolean(patch && patch.length > 0),
    remote: pickRemote(git(['config', '--get-regexp', '^remote\\..*\\.url$'])?.toString() ?? ''),
    untracked,
  };
}
