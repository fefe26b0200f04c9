import { execFile } from 'node:child_process';
import { userInfo } from 'node:os';

/**
 * Who did something, for the audit log: the workspace's `git config user.email` (what the team
 * already knows each other by), else the operating-system user name. `askGit: false` (an untrusted
 * workspace) goes straight to the user name.
 */
export async function workspaceActor(workspaceRoot: string, options: { askGit?: boolean } = {}): Promise<string> {
  // In an untrusted folder git is not run at all: its config is someone else's.
  const email =
    options.askGit === false
      ? ''
      : await new Promise<string>((resolve) => {
          execFile('git', ['config', 'user.email'], { cwd: workspaceRoot, timeout: 5000 }, (error, stdout) =>
            resolve(error ? '' : stdout.trim()),
          );
        });
  if (email) return email;
  try {
    return userInfo().username;
  } catch {
    // No passwd entry for this uid (some containers).
    return process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
}
