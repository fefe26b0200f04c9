import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { readEventsFrom } from '../../../src/core/runs/reader';
import type { RunEvent } from '../../../src/core/runs/protocol';

/** Shared builders for tests that start real processes in real temporary folders. */

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
export const CLI_ENTRY = join(REPO_ROOT, 'src', 'cli', 'main.ts');
/** tsx by absolute path: the CLI runs with a temporary folder as its cwd, where `tsx` would not resolve. */
export const TSX_LOADER = join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');
export const PYTHON_CLIENT_DIR = join(REPO_ROOT, 'src', 'core', 'clients', 'python');

export function tempDir(prefix = 'trackside-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function writeScript(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, body);
  return path;
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A repository with one commit of `tracked.txt`. */
export function initRepo(dir: string): void {
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.email', 'dev@example.com');
  git(dir, 'config', 'user.name', 'Dev');
  git(dir, 'config', 'commit.gpgsign', 'false');
  writeFileSync(join(dir, 'tracked.txt'), 'first\n');
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'initial');
}

/** A terminal stand-in that collects what the launcher echoes. */
export function captureTerminal(): {
  stdout: PassThrough;
  stderr: PassThrough;
  text: () => { out: string; err: string };
} {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { stdout, stderr, text: () => ({ out, err }) };
}

export async function readAllEvents(runDir: string): Promise<{ events: RunEvent[]; malformed: number }> {
  const events: RunEvent[] = [];
  let malformed = 0;
  await readEventsFrom(runDir, 0, (chunk) => {
    events.push(...chunk.events);
    malformed += chunk.malformed;
  });
  return { events, malformed };
}

export function onlyRunDir(workspace: string): string {
  const runs = join(workspace, '.trackside', 'runs');
  const ids = readdirSync(runs);
  if (ids.length !== 1) throw new Error(`expected one run in ${runs}, found ${ids.length}`);
  return join(runs, ids[0] ?? '');
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `trackside <args>` from source, as a user would run the CLI. */
export function runCli(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; onSpawn?: (pid: number, output: () => string) => void },
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', TSX_LOADER, CLI_ENTRY, ...args], {
      cwd: options.cwd,
      env: { ...process.env, NODE_OPTIONS: '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    if (child.pid) options.onSpawn?.(child.pid, () => stdout);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}
