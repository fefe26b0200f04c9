import { DeployError } from '../errors';
import { sendInferRequest, type InferRequest, type InferResponse } from '../oip-client';
import {
  groupOf,
  listenOf,
  runtimeArguments,
  runtimeEnvironment,
  runtimeScriptPath,
  scriptOf,
  type ServingTarget,
} from '../runtime-command';
import type { DeployedInstance, InstanceHandle, InstanceState, RuntimeSpec, TargetCallOptions } from '../target';
import type { SshTargetConfig } from '../targets-config';
import { INSTANCE_NAME } from '../records';
import { shellQuote } from '../../shell/quoting';
import { SshClient } from './ssh-client';

/**
 * Serves a model as a plain process on a host reached over SSH. Layout on the host, under
 * `remoteDir` (relative paths are under the user's home):
 *
 *     serve.py            the runtime, copied on every deploy so it matches this version of Trackside
 *     router.py           the router in front of two versions, copied when a deployment needs one
 *     <name>/pid          the process group of the server (started with setsid, so one kill stops it all)
 *     <name>/serve.log    its output
 *     <name>/exit-code    written when it stops, so a server that could not load its model says why
 *     <name>/env          credentials and tokens (mode 600), only when there are some
 *     .predictions/<deployment>/<name>.jsonl
 *                         the prediction log; outside <name>/, so neither a restart nor a redeploy loses it
 *                         (a deployment name never starts with a dot, so it cannot collide with a folder)
 */
export class SshTarget implements ServingTarget {
  readonly kind = 'ssh';
  readonly name: string;
  private readonly ssh: SshClient;

  constructor(private readonly config: SshTargetConfig) {
    this.name = config.name;
    this.ssh = new SshClient(config);
  }

  /** A deployment's folder on the host; a name that is not a deployment name never becomes a path. */
  private dir(name: string): string {
    if (!INSTANCE_NAME.test(name)) {
      throw new DeployError('invalid-request', `${JSON.stringify(name)} is not a deployment name: nothing was changed`);
    }
    return `${this.config.remoteDir.replace(/\/+$/, '')}/${name}`;
  }

  private get root(): string {
    return this.config.remoteDir.replace(/\/+$/, '');
  }

  private predictionsDir(group: string): string {
    return `${this.root}/.predictions/${group}`;
  }

  private endpoint(port = this.config.port): string {
    return `http://${this.config.endpointHost ?? this.config.host}:${port}`;
  }

  async deploy(spec: RuntimeSpec, options: TargetCallOptions = {}): Promise<DeployedInstance> {
    const { signal } = options;
    await this.undeploy(spec.name, undefined, signal);
    const dir = this.dir(spec.name);
    options.onProgress?.({ step: 'prepare', message: `Copying the model server to ${this.config.host}` });
    const prepared = await this.ssh.exec(`mkdir -p ${shellQuote(dir)}`, { signal });
    if (prepared.code !== 0) {
      throw new DeployError('target-error', `cannot create ${dir} on ${this.config.host}: ${prepared.stderr.trim()}`);
    }
    // The router imports serve.py, so serve.py always goes along.
    const scripts = scriptOf(spec) === 'router.py' ? (['serve.py', 'router.py'] as const) : (['serve.py'] as const);
    await this.ssh.copy(
      scripts.map((script) => runtimeScriptPath(script)),
      this.root,
      signal,
    );
    const env = runtimeEnvironment(spec);
    if (Object.keys(env).length > 0) {
      const lines = Object.entries(env).map(([key, value]) => `${key}=${shellQuote(value)}`);
      await this.ssh.exec(`umask 077 && cat > ${shellQuote(dir)}/env`, { stdin: `${lines.join('\n')}\n`, signal });
    }
    options.onProgress?.({ step: 'start', message: `Starting the model server on ${this.config.host}` });
    const listen = listenOf(spec, this.config);
    const logPath = `../.predictions/${groupOf(spec)}/${spec.name}.jsonl`;
    const args = runtimeArguments(spec, listen, logPath).map(shellQuote).join(' ');
    const python = shellQuote(this.config.python);
    // setsid makes the server its own process group, so undeploy stops the shell and Python together.
    const start = [
      `cd ${shellQuote(dir)}`,
      'rm -f exit-code',
      'if [ -f env ]; then set -a; . ./env; set +a; fi',
      `nohup setsid sh -c '${python.replace(/'/g, `'\\''`)} ../${scriptOf(spec)} "$@"; echo $? > exit-code' serve ${args} > serve.log 2>&1 < /dev/null &`,
      'echo $! > pid',
      'cat pid',
    ].join('\n');
    const started = await this.ssh.exec(start, { signal });
    const pid = Number(started.stdout.trim());
    if (started.code !== 0 || !Number.isInteger(pid) || pid <= 0) {
      throw new DeployError(
        'target-error',
        `the model server did not start on ${this.config.host}: ${started.stderr.trim()}`,
      );
    }
    return { handle: { pid, dir }, endpoint: this.endpoint(listen.port), readiness: 'http' };
  }

  async status(name: string, _handle?: InstanceHandle, signal?: AbortSignal): Promise<InstanceState> {
    const dir = shellQuote(this.dir(name));
    const script = [
      `cd ${dir} 2>/dev/null || { echo missing; exit 0; }`,
      'if [ -f exit-code ]; then echo "exited $(cat exit-code)"',
      'elif [ -f pid ] && kill -0 "$(cat pid)" 2>/dev/null; then echo running',
      'else echo missing; fi',
    ].join('\n');
    const result = await this.ssh.exec(script, { signal });
    const [word, code] = result.stdout.trim().split(/\s+/);
    if (word === 'running') return { state: 'running' };
    if (word === 'exited') return { state: 'exited', exitCode: Number(code ?? -1) };
    if (word === 'missing') return { state: 'missing' };
    return { state: 'unknown', detail: result.stderr.trim() };
  }

  async logs(name: string, _handle: InstanceHandle | undefined, tail: number, signal?: AbortSignal): Promise<string[]> {
    const result = await this.ssh.exec(
      `tail -n ${Math.max(1, Math.floor(tail))} ${shellQuote(this.dir(name))}/serve.log 2>/dev/null`,
      {
        signal,
      },
    );
    return result.stdout.split('\n').filter((line) => line.length > 0);
  }

  infer(
    instance: DeployedInstance,
    modelName: string,
    request: InferRequest,
    signal?: AbortSignal,
    token?: string,
  ): Promise<InferResponse> {
    return sendInferRequest(instance.endpoint ?? this.endpoint(), modelName, request, signal, token);
  }

  async readPredictionLogs(group: string, signal?: AbortSignal): Promise<Buffer> {
    const dir = shellQuote(this.predictionsDir(group));
    const result = await this.ssh.execBinary(`if [ -d ${dir} ]; then tar cf - -C ${dir} .; fi`, { signal });
    if (result.code !== 0) {
      throw new DeployError(
        'target-error',
        `could not read the prediction log of ${group} on ${this.config.host}: ${result.stderr.trim()}`,
      );
    }
    return result.stdout;
  }

  async instanceEnvironment(instance: string, key: string, signal?: AbortSignal): Promise<string | undefined> {
    const result = await this.ssh.exec(`cat ${shellQuote(this.dir(instance))}/env 2>/dev/null`, { signal });
    const line = result.stdout.split('\n').find((entry) => entry.startsWith(`${key}=`));
    return line === undefined ? undefined : shellUnquote(line.slice(key.length + 1));
  }

  async undeploy(name: string, _handle?: InstanceHandle, signal?: AbortSignal): Promise<void> {
    const dir = this.dir(name);
    const script = [
      `[ -d ${shellQuote(dir)} ] || exit 0`,
      `cd ${shellQuote(dir)}`,
      'if [ -f pid ]; then',
      '  p=$(cat pid)',
      '  kill -TERM -- "-$p" 2>/dev/null',
      '  i=0',
      '  while [ $i -lt 50 ] && kill -0 -- "-$p" 2>/dev/null; do sleep 0.1; i=$((i+1)); done',
      '  kill -KILL -- "-$p" 2>/dev/null',
      '  i=0',
      '  while [ $i -lt 20 ] && kill -0 -- "-$p" 2>/dev/null; do sleep 0.1; i=$((i+1)); done',
      '  if kill -0 -- "-$p" 2>/dev/null; then echo "process group $p is still running" >&2; exit 1; fi',
      'fi',
      'cd .. && rm -rf -- ' + shellQuote(name),
    ].join('\n');
    const result = await this.ssh.exec(script, { signal });
    if (result.code !== 0) {
      throw new DeployError('target-error', `could not stop ${name} on ${this.config.host}: ${result.stderr.trim()}`);
    }
  }
}

/** The value of a `KEY=value` line as shellQuote wrote it. */
function shellUnquote(word: string): string {
  return word.startsWith("'") && word.endsWith("'") ? word.slice(1, -1).replace(/'\\''/g, "'") : word;
}
