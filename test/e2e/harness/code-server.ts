import { PYTHON } from '../../fixtures/python';
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { HarnessError } from './errors';
import { codeServerRuntime, packagedVsix, repoRoot, resultsDir, vscodeFlavor } from './paths';

const execFileAsync = promisify(execFile);

/** How the extension under test reaches code-server. */
export type ExtensionSource =
  /** The repository folder with its built `dist/`, loaded as a development extension (no packaging). */
  | { kind: 'development'; path: string }
  /** A packaged .vsix, installed with `--install-extension` like a user would. */
  | { kind: 'vsix'; path: string };

/**
 * The user settings every e2e server starts with: no start page, no telemetry, no update checks,
 * and workspace trust off (a test that checks restricted mode turns it back on).
 */
export const baseUserSettings: Readonly<Record<string, unknown>> = {
  'workbench.startupEditor': 'none',
  'telemetry.telemetryLevel': 'off',
  'extensions.autoUpdate': false,
  'security.workspace.trust.enabled': false,
  'python.defaultInterpreterPath': PYTHON,
  // VS Code 1.10x+ opens the Chat view in a secondary side bar by default; the journeys need the width.
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

export interface CodeServerOptions {
  /** The folder code-server opens by default. */
  workspace: string;
  /** Defaults to {@link extensionSourceFromEnvironment}. */
  extension?: ExtensionSource;
  /** Merged over {@link baseUserSettings}. */
  settings?: Record<string, unknown>;
  /** Extra environment for code-server; it reaches the extension host. */
  env?: Record<string, string>;
  /** Name of the server log written under test-results/. */
  logName?: string;
  /**
   * Keep workspace trust on (no `--disable-workspace-trust`), for tests of restricted mode; pair it with
   * the `security.workspace.trust.enabled` setting.
   */
  workspaceTrust?: boolean;
}

/**
 * `TRACKSIDE_E2E_VSIX` selects the extension under test: unset or `1` is dist/trackside.vsix (from `npm
 * run package`, which `npm run test:e2e` runs first), any other value a path to a .vsix, and `0` the
 * repository folder loaded as a development extension (no packaging; quicker while editing a journey).
 */
export function extensionSourceFromEnvironment(): ExtensionSource {
  const vsix = process.env.TRACKSIDE_E2E_VSIX ?? '1';
  if (vsix === '0') {
    // code-server 4.139 ignores the development-path payload that 4.100 honours.
    if (vscodeFlavor() !== 'minimum') {
      throw new HarnessError(
        'development-extension-unsupported',
        'TRACKSIDE_E2E_VSIX=0 loads the repository as a development extension only in VS Code 1.100: add TRACKSIDE_E2E_VSCODE=minimum, or test the .vsix',
      );
    }
    return { kind: 'development', path: repoRoot };
  }
  const path = vsix === '1' ? packagedVsix : resolve(repoRoot, vsix);
  return { kind: 'vsix', path };
}

/** Fails with the next step to take when code-server is not installed. */
export function assertCodeServerInstalled(): void {
  const { flavor, version, node, entry } = codeServerRuntime();
  if (!existsSync(entry) || !existsSync(node)) {
    throw new HarnessError(
      'code-server-missing',
      `code-server ${version} (${flavor}) is not installed: run \`bash scripts/setup.sh\``,
    );
  }
}

/** A free TCP port on loopback, chosen by the kernel. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolvePort(address.port);
        else reject(new Error('no port assigned'));
      });
    });
  });
}

/**
 * One real code-server (VS Code in the browser, of the flavor {@link codeServerRuntime} names) with scratch HOME, XDG folders, user data and
 * extensions, so a test never reads or writes the developer's own VS Code state.
 */
export class CodeServer {
  private exited = false;
  /** The authority of `vscode-remote://` URIs in this code-server: `127.0.0.1:<port>` up to 4.100, `remote` since. */
  private remoteAuthority: string;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly extension: ExtensionSource,
    readonly workspace: string,
    private readonly scratch: string,
    /** The server's stdout and stderr, for when a test fails. */
    readonly logPath: string,
  ) {
    child.once('exit', () => {
      this.exited = true;
    });
    this.remoteAuthority = `127.0.0.1:${port}`;
  }

  static async start(options: CodeServerOptions): Promise<CodeServer> {
    assertCodeServerInstalled();
    const extension = options.extension ?? extensionSourceFromEnvironment();
    const { scratch, dirs } = makeScratch();
    mkdirSync(join(dirs.userData, 'User'), { recursive: true });
    writeFileSync(
      join(dirs.userData, 'User', 'settings.json'),
      `${JSON.stringify({ ...baseUserSettings, ...options.settings }, null, 2)}\n`,
    );
    const env = { ...serverEnvironment(scratch), ...options.env };

    if (extension.kind === 'vsix') await installVsix(extension.path, dirs, env);

    const port = await freePort();
    mkdirSync(resultsDir, { recursive: true });
    const logPath = join(resultsDir, `${options.logName ?? 'code-server'}.log`);
    const log = createWriteStream(logPath);
    // detached: a new session and process group, so stop() can end the server and every helper it forked.
    const { node, entry } = codeServerRuntime();
    const child = spawn(
      node,
      [
        entry,
        '--bind-addr',
        `127.0.0.1:${port}`,
        '--auth',
        'none',
        '--disable-telemetry',
        '--disable-update-check',
        ...(options.workspaceTrust ? [] : ['--disable-workspace-trust']),
        '--disable-getting-started-override',
        '--disable-proxy',
        '--user-data-dir',
        dirs.userData,
        '--extensions-dir',
        dirs.extensions,
        options.workspace,
      ],
      { detached: true, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    const server = new CodeServer(child, port, extension, options.workspace, scratch, logPath);
    try {
      await server.waitUntilHealthy();
      await server.readRemoteAuthority();
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** The scratch user-data-dir: settings, and the window and extension logs under `logs/`. */
  get userDataDir(): string {
    return join(this.scratch, 'user-data');
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * The URL that opens `folder` (default: the server's workspace). For a development extension it carries
   * the payload that makes the window load the extension from the repository folder.
   */
  workbenchUrl(folder: string = this.workspace): string {
    const url = new URL('/', this.origin);
    // A multi-root workspace opens from its .code-workspace file.
    url.searchParams.set(folder.endsWith('.code-workspace') ? 'workspace' : 'folder', folder);
    if (this.extension.kind === 'development') {
      const extensionUri = `vscode-remote://${this.remoteAuthority}${this.extension.path}`;
      url.searchParams.set('payload', JSON.stringify([['extensionDevelopmentPath', extensionUri]]));
    }
    return url.toString();
  }

  /** Ends the server's whole process group and waits until it is gone; removes the scratch folders. */
  async stop(): Promise<void> {
    const pgid = this.child.pid;
    if (pgid !== undefined) {
      signalGroup(pgid, 'SIGTERM');
      if (!(await groupGone(pgid, 10_000))) {
        signalGroup(pgid, 'SIGKILL');
        if (!(await groupGone(pgid, 5_000))) {
          throw new HarnessError('code-server-did-not-stop', `code-server process group ${pgid} survived SIGKILL`);
        }
      }
    }
    rmSync(this.scratch, { recursive: true, force: true });
  }

  /** The workbench page names its remote authority in its configuration; a development extension's URI needs it. */
  private async readRemoteAuthority(): Promise<void> {
    const page = await (await fetch(`${this.origin}/?folder=${encodeURIComponent(this.workspace)}`)).text();
    const settings = /id="vscode-workbench-web-configuration"[^>]*data-settings="([^"]*)"/.exec(page)?.[1];
    if (!settings) return;
    const decoded = settings.replace(/&quot;/g, '"').replace(/&amp;/g, '&');
    const authority = (JSON.parse(decoded) as { remoteAuthority?: unknown }).remoteAuthority;
    if (typeof authority === 'string' && authority) this.remoteAuthority = authority;
  }

  private async waitUntilHealthy(): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (this.exited) {
        throw new HarnessError('code-server-exited', `code-server exited during start; see ${this.logPath}`);
      }
      try {
        const response = await fetch(`${this.origin}/healthz`);
        if (response.ok) return;
      } catch {
        // Not listening yet.
      }
      await sleep(100);
    }
    throw new HarnessError(
      'code-server-not-ready',
      `code-server did not answer /healthz within 30 s; see ${this.logPath}`,
    );
  }
}

interface ScratchDirs {
  home: string;
  userData: string;
  extensions: string;
}

function makeScratch(): { scratch: string; dirs: ScratchDirs } {
  const scratch = mkdtempSync(join(tmpdir(), 'trackside-e2e-'));
  const dirs = {
    home: join(scratch, 'home'),
    userData: join(scratch, 'user-data'),
    extensions: join(scratch, 'extensions'),
  };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  return { scratch, dirs };
}

/** code-server writes under $HOME and the XDG folders even for `--version`: point them all at the scratch folder. */
function serverEnvironment(scratch: string): NodeJS.ProcessEnv {
  const home = join(scratch, 'home');
  return {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local/share'),
    XDG_CACHE_HOME: join(home, '.cache'),
  };
}

async function installVsix(vsix: string, dirs: ScratchDirs, env: NodeJS.ProcessEnv): Promise<void> {
  if (!isAbsolute(vsix) || !existsSync(vsix)) {
    throw new HarnessError('vsix-missing', `${vsix} does not exist: run \`npm run package\` first`);
  }
  await installExtension(vsix, dirs.userData, dirs.extensions, env);
}

/**
 * `code-server --install-extension` into the given folders; resolves with code-server's output.
 * Throws when code-server reports a failure (it exits 0 on some of them, so its output is checked too).
 */
export async function installExtension(
  vsix: string,
  userDataDir: string,
  extensionsDir: string,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  assertCodeServerInstalled();
  const { node, entry } = codeServerRuntime();
  try {
    const { stdout, stderr } = await execFileAsync(
      node,
      [entry, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--install-extension', vsix],
      { env, timeout: 60_000 },
    );
    const output = `${stdout}${stderr}`;
    if (!/was successfully installed/.test(output)) {
      throw new HarnessError('extension-install-failed', `installing ${vsix} failed:\n${output}`);
    }
    return output;
  } catch (error) {
    if (error instanceof HarnessError) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    throw new HarnessError('extension-install-failed', `installing ${vsix} failed: ${detail}`);
  }
}

/** Scratch folders and environment for one-off code-server commands such as `--install-extension`. */
export function scratchCodeServer(): { dirs: ScratchDirs; env: NodeJS.ProcessEnv; dispose: () => void } {
  const { scratch, dirs } = makeScratch();
  return { dirs, env: serverEnvironment(scratch), dispose: () => rmSync(scratch, { recursive: true, force: true }) };
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

async function groupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(-pgid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true;
      throw error;
    }
    await sleep(50);
  }
  return false;
}
