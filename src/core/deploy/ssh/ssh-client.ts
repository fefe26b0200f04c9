import { spawn } from 'node:child_process';
import { DeployError } from '../errors';
import type { SshTargetConfig } from '../targets-config';

export interface SshResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A result whose output is bytes (an archive), not text. */
export interface SshBinaryResult extends Omit<SshResult, 'stdout'> {
  stdout: Buffer;
}

/**
 * Runs the system's `ssh` and `scp` non-interactively (BatchMode: never a password or passphrase
 * prompt) with exactly one key (IdentitiesOnly), so what works here works the same in CI.
 */
export class SshClient {
  constructor(private readonly config: SshTargetConfig) {}

  private commonOptions(): string[] {
    const options = [
      '-i',
      this.config.keyFile,
      '-o',
      'BatchMode=yes',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      `StrictHostKeyChecking=${this.config.strictHostKeyChecking}`,
      '-o',
      'ConnectTimeout=15',
      '-o',
      'LogLevel=ERROR',
    ];
    if (this.config.knownHostsFile) options.push('-o', `UserKnownHostsFile=${this.config.knownHostsFile}`);
    return options;
  }

  private get destination(): string {
    return `${this.config.user}@${this.config.host}`;
  }

  /** Runs a shell command on the host; a connection or authentication failure throws a DeployError. */
  async exec(command: string, options: { stdin?: string; signal?: AbortSignal } = {}): Promise<SshResult> {
    const result = await this.execBinary(command, options);
    return { ...result, stdout: result.stdout.toString('utf8') };
  }

  /** Like exec, with the output kept as bytes. */
  async execBinary(command: string, options: { stdin?: string; signal?: AbortSignal } = {}): Promise<SshBinaryResult> {
    const args = [...this.commonOptions(), '-p', String(this.config.sshPort), '--', this.destination, command];
    return this.checked(await run('ssh', args, options), 'ssh');
  }

  /** Copies local files into a folder on the host. */
  async copy(localPaths: string[], remoteDir: string, signal?: AbortSignal): Promise<void> {
    const args = [
      ...this.commonOptions(),
      '-P',
      String(this.config.sshPort),
      '--',
      ...localPaths,
      `${this.destination}:${remoteDir}/`,
    ];
    const result = this.checked(await run('scp', args, { signal }), 'scp');
    if (result.code !== 0) {
      throw new DeployError(
        'target-error',
        `copying the model server to ${this.config.host} failed: ${result.stderr.trim()}`,
      );
    }
  }

  /**
   * ssh and scp report their own failures with exit code 255 and a diagnostic line; that line is
   * the only place they say whether the key was refused or the host key did not match.
   */
  private checked(result: SshBinaryResult, program: string): SshBinaryResult {
    // ssh exits 255 only for its own failures (a remote command's codes pass through); scp has no such code.
    const failed = program === 'ssh' ? result.code === 255 : result.code !== 0 && isConnectionFailure(result.stderr);
    if (!failed) return result;
    const where = `${this.destination}:${this.config.sshPort}`;
    const detail = result.stderr.trim().split('\n').slice(-3);
    if (/Permission denied|Too many authentication failures|no mutual signature/i.test(result.stderr)) {
      throw new DeployError('auth-refused', `${where} refused the key ${this.config.keyFile}`, detail);
    }
    if (
      /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No \S+ host key is known/i.test(
        result.stderr,
      )
    ) {
      throw new DeployError('host-key-rejected', `the host key of ${this.config.host} is not the one known`, detail);
    }
    throw new DeployError('host-unreachable', `cannot connect to ${where} with ${program}`, detail);
  }
}

function isConnectionFailure(stderr: string): boolean {
  return /Permission denied|Host key verification failed|REMOTE HOST IDENTIFICATION|Connection (refused|timed out|closed)|Could not resolve|No route to host|lost connection/i.test(
    stderr,
  );
}

function run(
  program: string,
  args: string[],
  options: { stdin?: string; signal?: AbortSignal },
): Promise<SshBinaryResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'], signal: options.signal });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => {
      if (options.signal?.aborted) reject(new DeployError('aborted', 'cancelled', [], { cause: error }));
      else reject(new DeployError('target-error', `cannot run ${program}: ${error.message}`, [], { cause: error }));
    });
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(stdout), stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}
