import { readFile } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import type { CliCommand } from '../command';
import { CliError } from '../errors';
import { formatBytes } from '../../core/format/numbers';
import { parseCommandArgs, printedHelp } from '../workspace-index';
import {
  chainCredentials,
  DockerConfigCredentials,
  StaticCredentials,
  type CredentialsProvider,
} from '../../core/registry/credentials';
import { RegistryError } from '../../core/registry/errors';
import type { ModelPackInput } from '../../core/registry/pack';
import { pushModel, type PushProgress } from '../../core/registry/push';
import { toTag } from '../../core/registry/reference';
import { findRunDir, readRunModelMetadata } from '../../core/registry/run-metadata';
import { findWorkspaceRoot } from '../../core/runs/workspace';

const USAGE = `Usage: trackside push <model file or folder> --registry <url> --repository <repo> [options]

Pushes a model to an OCI registry as a CNCF ModelPack artifact (one layer per file, a model card,
run metadata as annotations). Blobs the registry has are skipped; an interrupted upload resumes.

Options:
  --registry <url>        registry, e.g. registry.example.com or http://127.0.0.1:5000
  --repository <repo>     repository, e.g. team/churn-model
  --tag <tag>             tag to set (repeatable; default: the version)
  --name <name>           model name (default: the file or folder name)
  --version <version>     model version (default: the first tag, else the run id)
  --run <run id>          take params, metrics, commit and data hashes from this run
  --mount-from <repo>     repository on the same registry to mount blobs from (repeatable)
  --ca-file <pem>         CA certificate to trust for the registry
  --plain-http            allow plain HTTP to a registry that is not on loopback
  --username <user>       user name; the password or token is read from stdin with --password-stdin
  --password-stdin        read the password or token from standard input
  --json                  print the result as JSON
  --workspace <path>      the folder holding .trackside/ (default: nearest above the working folder)`;

export const pushCommand: CliCommand = {
  async run(args) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        registry: { type: 'string' },
        repository: { type: 'string' },
        tag: { type: 'string', multiple: true },
        name: { type: 'string' },
        version: { type: 'string' },
        run: { type: 'string' },
        'mount-from': { type: 'string', multiple: true },
        'ca-file': { type: 'string' },
        'plain-http': { type: 'boolean' },
        username: { type: 'string' },
        'password-stdin': { type: 'boolean' },
        json: { type: 'boolean' },
        workspace: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      USAGE,
      true,
    );
    if (printedHelp(values, USAGE)) return 0;
    const [path, ...extra] = positionals;
    if (!path || extra.length > 0) throw new CliError(`give exactly one model file or folder\n\n${USAGE}`, 2);
    if (!values.registry || !values.repository)
      throw new CliError(`--registry and --repository are required\n\n${USAGE}`, 2);
    if (values['password-stdin'] && !values.username) throw new CliError('--password-stdin needs --username', 2);

    const workspaceRoot = values.workspace ? resolve(values.workspace) : findWorkspaceRoot(process.cwd());
    const modelPath = resolve(path);
    const fromRun = values.run ? await fromRunOrFail(workspaceRoot, values.run) : undefined;
    const tags = values.tag ?? [];
    const version = values.version ?? tags[0] ?? fromRun?.runId;
    if (!version) throw new CliError('give --version (or a --tag, or --run) to name the model version', 2);
    const input: ModelPackInput = {
      ...fromRun,
      path: modelPath,
      name: values.name ?? basename(modelPath, extname(modelPath)),
      version,
    };

    const docker = new DockerConfigCredentials();
    const password = values['password-stdin'] ? (await readStdin()).replace(/\r?\n$/, '') : undefined;
    const credentials: CredentialsProvider =
      values.username && password !== undefined
        ? chainCredentials(new StaticCredentials({ username: values.username, password }))
        : chainCredentials(docker);
    const ca = values['ca-file'] ? await readCa(values['ca-file']) : undefined;
    const registryHost = values.registry.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');

    const abort = new AbortController();
    const onSigint = () => abort.abort();
    process.once('SIGINT', onSigint);
    const progress = new ProgressLine(process.stderr.isTTY === true && !values.json);
    try {
      const result = await pushModel(
        input,
        {
          endpoint: { url: values.registry, ca, plainHttpHosts: values['plain-http'] ? [registryHost] : [] },
          repository: values.repository,
          tags: tags.length > 0 ? tags : [toTag(version)],
        },
        {
          credentials,
          workspaceRoot,
          signal: abort.signal,
          onProgress: (p) => progress.update(p),
          mountFrom: values['mount-from'] ?? [],
        },
      );
      progress.clear();
      if (values.json) {
        const { packed: _packed, manifest: _manifest, ...plain } = result;
        process.stdout.write(`${JSON.stringify(plain, null, 2)}\n`);
      } else {
        const skipped = result.blobs.filter((b) => b.outcome === 'exists' || b.outcome === 'mounted').length;
        process.stdout.write(
          [
            `pushed ${input.name} ${version} → ${result.registry}/${result.repository}:${result.tags.join(', ')}`,
            `digest     ${result.digest}`,
            `reference  ${result.reference}`,
            `sent       ${formatBytes(result.bytesSent)} (${result.blobs.length - skipped} of ${result.blobs.length} blobs; the rest were already there)`,
          ].join('\n') + '\n',
        );
      }
      return 0;
    } catch (error) {
      progress.clear();
      if (error instanceof RegistryError) {
        for (const note of docker.notes) process.stderr.write(`trackside: note: ${note}\n`);
        throw new CliError(`${error.message}\n  next: ${error.nextStep}`, error.reason === 'cancelled' ? 130 : 1);
      }
      throw error;
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};

async function fromRunOrFail(workspaceRoot: string, runId: string) {
  try {
    return await readRunModelMetadata(await findRunDir(workspaceRoot, runId));
  } catch (error) {
    if (error instanceof RegistryError) throw new CliError(`${error.message}: ${error.nextStep}`);
    throw new CliError(`cannot read run ${runId}: ${(error as Error).message}`);
  }
}

async function readCa(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read --ca-file ${file}: ${(error as Error).message}`, 2);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** One self-rewriting status line on a terminal: phase, percent, bytes and speed. */
class ProgressLine {
  private last = 0;
  private readonly started = Date.now();

  constructor(private readonly enabled: boolean) {}

  update(p: PushProgress): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 200 && p.phase !== 'done') return;
    this.last = now;
    const percent = p.bytesTotal > 0 ? Math.floor((100 * p.bytesDone) / p.bytesTotal) : 100;
    const seconds = Math.max(0.001, (now - this.started) / 1000);
    const speed = p.phase === 'uploading' ? `  ${formatBytes(p.bytesSent / seconds)}/s` : '';
    const what = p.blob ? `  ${p.blob.path}` : '';
    process.stderr.write(
      `\r\x1b[K${p.phase} ${percent}%  ${formatBytes(p.bytesDone)} / ${formatBytes(p.bytesTotal)}${speed}${what}`,
    );
  }

  clear(): void {
    if (this.enabled) process.stderr.write('\r\x1b[K');
  }
}
