import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Read-only git invocations shared by the captures: one environment, output as raw bytes. */

/** Never prompts, never takes the index lock, and speaks English (the output is parsed). */
export function gitCommandEnvironment(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...base, GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
}

/**
 * False when git could not find a work tree from `cwd`: no `.git` in it or any folder above, and
 * no GIT_DIR or GIT_WORK_TREE pointing elsewhere. Git's own discovery looks for exactly that, so
 * a folder outside every repository is known without starting a process.
 */
export function mayBeInWorkTree(cwd: string, env: NodeJS.ProcessEnv): boolean {
  if (env.GIT_DIR || env.GIT_WORK_TREE) return true;
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return true;
    if (dirname(dir) === dir) return false;
  }
}

/** stdout of `git <args>`, or null when git fails, is missing or runs past `timeoutMs`. */
export function readGit(
  cwd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<Buffer | null> {
  return new Promise((resolvePromise) => {
    execFile(
      'git',
      args,
      { cwd, env, encoding: 'buffer', timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 512 * 1024 * 1024 },
      (error, stdout) => resolvePromise(error ? null : stdout),
    );
  });
}

/** `git <args>` with its stdout as a stream (for output too large or too binary to hold). */
export function spawnGit(cwd: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn('git', args, { cwd, env, stdio: ['ignore', 'pipe', 'ignore'] });
}
