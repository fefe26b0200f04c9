import { resolve } from 'node:path';
import type { CliCommand } from '../command';
import { CliError } from '../errors';
import { readTargetsFile, servingTokenFromEnvironment, targetsFilePath } from '../targets-file';
import { parseCommandArgs, printedHelp } from '../workspace-index';
import { Deployer, type OperationOptions } from '../../core/deploy/deployer';
import { DeployError, DeploymentFailedError } from '../../core/deploy/errors';
import { KServeTarget } from '../../core/deploy/kserve/kserve-target';
import { shortDigest } from '../../core/deploy/model-ref';
import { DeploymentStore } from '../../core/deploy/record-store';
import type { DeploymentRecord } from '../../core/deploy/records';
import { createTargets } from '../../core/deploy/target-factory';
import { TargetConfigSchema, type TargetConfig } from '../../core/deploy/targets-config';
import { ModelRegistry } from '../../core/models/model-registry';
import { CanaryDeployer } from '../../core/monitoring/canary';
import { findWorkspaceRoot } from '../../core/runs/workspace';

const TARGET_FLAGS = `Targets come from <workspace>/.trackside/targets.json ({"targets": [...]}, the same shape as the
trackside.targets setting), from --targets-file, or from flags that define one target on the spot:
  --podman <address>      a Podman API (http://127.0.0.1:8888 or unix:///run/podman/podman.sock)
  --image <image>         the runtime image for --podman (see src/core/deploy/runtime/Containerfile)
  --host-path <dir>       a host folder mounted read-only into the container (repeatable)
  --ssh <user@host[:port]> an SSH host, with --key-file <path>
  --kserve                write KServe/Kubernetes manifests into the workspace
  --port <n>              the port the model server listens on
  --python <path>         the Python that runs the model server`;

const DEPLOY_USAGE = `Usage: trackside deploy --target <name> --image-ref <registry/repo@sha256:…> --name <name> [options]
       trackside deploy --target <name> --name <name> --rollback

Serves a pushed model version and waits until it reports ready. A version already serving under
the name is replaced (and brought back if the new one fails).

Options:
  --model-name <name>     the name in /v2/models/<name>/infer (default: --name)
  --model-file <file>     the file in the artifact to load, when it holds several
  --plain-http            the registry speaks http, not https
  --rollback              deploy again the version that served before the current one
  --canary-percent <n>    serve --image-ref beside the current version with n% of the requests.
                          Podman and SSH: a router takes the deployment's port and the versions listen
                          on port + 1 and + 2; again with a new n changes the split, 100 promotes the
                          canary (the old version is stopped), 0 rolls it back. No request fails.
                          KServe: the manifests of an n% split between --image-ref and --stable-ref
  --stable-ref <ref>      KServe only: the version keeping the rest of the traffic
  --health-timeout <s>    seconds to wait for ready (default 120)
  --targets-file <path>   read targets from this file
  --workspace <path>      the folder holding .trackside/ (default: nearest above the working folder)
  --json                  print the deployment record as JSON

${TARGET_FLAGS}

Registry credentials for the server come from TRACKSIDE_REGISTRY_USERNAME / TRACKSIDE_REGISTRY_PASSWORD.
With TRACKSIDE_SERVING_TOKEN set, the server asks every request for it (Authorization: Bearer <token>).`;

const UNDEPLOY_USAGE = `Usage: trackside undeploy --target <name> --name <name> [--targets-file <path>] [--workspace <path>]

Stops what serves under the name and removes what was created for it. Safe to repeat.

${TARGET_FLAGS}`;

const DEPLOYMENTS_USAGE = `Usage: trackside deployments [--all] [--json] [--workspace <path>]

Lists deployments: the latest record of each name on each target (--all: every record).`;

const targetOptions = {
  target: { type: 'string' },
  'targets-file': { type: 'string' },
  podman: { type: 'string' },
  image: { type: 'string' },
  'host-path': { type: 'string', multiple: true },
  ssh: { type: 'string' },
  'key-file': { type: 'string' },
  kserve: { type: 'boolean' },
  port: { type: 'string' },
  python: { type: 'string' },
  workspace: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type TargetFlagValues = {
  target?: string;
  'targets-file'?: string;
  podman?: string;
  image?: string;
  'host-path'?: string[];
  ssh?: string;
  'key-file'?: string;
  kserve?: boolean;
  port?: string;
  python?: string;
};

function workspaceOf(flag: string | undefined): string {
  return flag ? resolve(flag) : findWorkspaceRoot(process.cwd());
}

/** A target defined by flags, or undefined when no target-defining flag was given. */
function targetFromFlags(name: string, values: TargetFlagValues, workspaceRoot: string): TargetConfig | undefined {
  const common = {
    name,
    ...(values.port ? { port: Number(values.port) } : {}),
    ...(values.python ? { python: values.python } : {}),
  };
  let candidate: unknown;
  if (values.podman) {
    candidate = {
      kind: 'podman',
      address: values.podman,
      image: values.image,
      hostPaths: values['host-path'] ?? [],
      ...common,
    };
  } else if (values.ssh) {
    const match = /^([^@]+)@([^:]+)(?::(\d+))?$/.exec(values.ssh);
    if (!match) throw new CliError(`--ssh takes user@host or user@host:port, got "${values.ssh}"`, 2);
    candidate = {
      kind: 'ssh',
      user: match[1],
      host: match[2],
      ...(match[3] ? { sshPort: Number(match[3]) } : {}),
      keyFile: values['key-file'],
      ...common,
    };
  } else if (values.kserve) {
    candidate = { kind: 'kserve', workspaceRoot, name, ...(values.port ? { port: Number(values.port) } : {}) };
  } else {
    return undefined;
  }
  const parsed = TargetConfigSchema.safeParse(candidate);
  if (!parsed.success)
    throw new CliError(
      `the target flags are incomplete: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      2,
    );
  return parsed.data;
}

function resolveTarget(values: TargetFlagValues, workspaceRoot: string): TargetConfig {
  if (!values.target) throw new CliError('--target is required', 2);
  const fromFlags = targetFromFlags(values.target, values, workspaceRoot);
  if (fromFlags) return fromFlags;
  const file = targetsFilePath(values['targets-file'], workspaceRoot);
  const targets = readTargetsFile(file, values['targets-file'] !== undefined);
  const found = targets.find((t) => t.name === values.target);
  if (!found) {
    const known = targets.map((t) => t.name).join(', ') || 'none';
    throw new CliError(`no target "${values.target}" in ${file} (targets: ${known}); or define it with flags`, 2);
  }
  // Manifests of a KServe target always land in the workspace the command works on.
  return found.kind === 'kserve' && !found.workspaceRoot ? { ...found, workspaceRoot } : found;
}

function failureMessage(error: DeployError | DeploymentFailedError): string {
  const lines = [error.message, `next step: ${error.nextStep}`];
  if (error.logTail.length > 0) lines.push('last log lines:', ...error.logTail.map((l) => `  ${l}`));
  return lines.join('\n');
}

function describe(record: DeploymentRecord): string {
  const where = record.endpoint ? ` at ${record.endpoint}/v2/models/${record.modelName}/infer` : '';
  return `${record.name} on ${record.target}: ${record.status} (${shortDigest(record.digest)})${where}`;
}

async function runDeployment<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof DeploymentFailedError || error instanceof DeployError)
      throw new CliError(failureMessage(error));
    throw error;
  }
}

function withCancel(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}

export const deployCommand: CliCommand = {
  async run(args) {
    const { values } = parseCommandArgs(
      args,
      {
        ...targetOptions,
        'image-ref': { type: 'string' },
        name: { type: 'string' },
        'model-name': { type: 'string' },
        'model-file': { type: 'string' },
        'plain-http': { type: 'boolean' },
        rollback: { type: 'boolean' },
        'canary-percent': { type: 'string' },
        'stable-ref': { type: 'string' },
        'health-timeout': { type: 'string' },
        json: { type: 'boolean' },
      },
      DEPLOY_USAGE,
    );
    if (printedHelp(values, DEPLOY_USAGE)) return 0;
    if (!values.name) throw new CliError(`--name is required\n\n${DEPLOY_USAGE}`, 2);
    const workspaceRoot = workspaceOf(values.workspace);
    const config = resolveTarget(values, workspaceRoot);
    const healthTimeout = values['health-timeout'] === undefined ? 120 : Number(values['health-timeout']);
    if (!(healthTimeout > 0)) throw new CliError('--health-timeout must be a positive number of seconds', 2);

    const username = process.env.TRACKSIDE_REGISTRY_USERNAME;
    const password = process.env.TRACKSIDE_REGISTRY_PASSWORD;
    const deployerOptions = {
      store: new DeploymentStore(workspaceRoot),
      targets: createTargets([config]),
      healthTimeoutMs: healthTimeout * 1000,
      registryCredentials: async () => (username && password ? { username, password } : undefined),
      servingToken: async () => servingTokenFromEnvironment(),
    };

    if (values['canary-percent'] !== undefined && config.kind !== 'kserve') {
      const percent = Number(values['canary-percent']);
      if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
        throw new CliError('--canary-percent takes a whole number from 0 to 100', 2);
      }
      const canary = new CanaryDeployer({ ...deployerOptions, audit: new ModelRegistry(workspaceRoot) });
      const cancel = withCancel();
      try {
        const record = await runDeployment(() =>
          canaryStep(canary, deployerOptions.store, config.name, values.name!, percent, {
            ...(values['image-ref'] ? { modelRef: values['image-ref'] } : {}),
            ...(values['model-file'] ? { modelFile: values['model-file'] } : {}),
            plainHttp: values['plain-http'] ?? false,
            signal: cancel.signal,
            onProgress: (p: { message: string }) => process.stderr.write(`${p.message}\n`),
          }),
        );
        process.stdout.write(
          values.json ? `${JSON.stringify(record, null, 2)}\n` : `${describe(record)}\n${describeSplit(record)}`,
        );
        return 0;
      } finally {
        cancel.dispose();
      }
    }

    if (values['canary-percent'] !== undefined && config.kind === 'kserve') {
      if (!values['image-ref'] || !values['stable-ref'])
        throw new CliError('--canary-percent needs --image-ref and --stable-ref', 2);
      const result = await runDeployment(() =>
        new KServeTarget(config).writeSplit({
          name: values.name!,
          stable: {
            modelRef: values['stable-ref']!,
            ...(values['model-file'] ? { modelFile: values['model-file'] } : {}),
          },
          canary: {
            modelRef: values['image-ref']!,
            ...(values['model-file'] ? { modelFile: values['model-file'] } : {}),
          },
          canaryTrafficPercent: Number(values['canary-percent']),
        }),
      );
      const state = result.applied ? 'applied with kubectl' : 'written (not applied: kubectl has no current context)';
      process.stdout.write(`${result.files.join('\n')}\n${state}\n`);
      return 0;
    }

    const deployer = new Deployer(deployerOptions);
    const cancel = withCancel();
    const options = {
      signal: cancel.signal,
      onProgress: (p: { message: string }) => process.stderr.write(`${p.message}\n`),
    };
    try {
      const record = await runDeployment(() => {
        if (values.rollback) return deployer.rollback(config.name, values.name!, options);
        if (!values['image-ref']) throw new CliError(`--image-ref is required (or --rollback)\n\n${DEPLOY_USAGE}`, 2);
        return deployer.deploy(
          {
            target: config.name,
            name: values.name!,
            modelRef: values['image-ref'],
            ...(values['model-name'] ? { modelName: values['model-name'] } : {}),
            ...(values['model-file'] ? { modelFile: values['model-file'] } : {}),
            plainHttp: values['plain-http'] ?? false,
          },
          options,
        );
      });
      if (record) process.stdout.write(values.json ? `${JSON.stringify(record, null, 2)}\n` : `${describe(record)}\n`);
      return 0;
    } finally {
      cancel.dispose();
    }
  },
};

/**
 * One step of a canary from `--canary-percent`: start one with --image-ref, change the split of the
 * running one, promote it at 100, roll it back at 0.
 */
async function canaryStep(
  canary: CanaryDeployer,
  store: DeploymentStore,
  target: string,
  name: string,
  percent: number,
  options: { modelRef?: string; modelFile?: string; plainHttp: boolean } & OperationOptions,
): Promise<DeploymentRecord> {
  const backends = store.current(target, name)?.routing?.backends ?? [];
  const running = backends.length > 1 ? backends[backends.length - 1] : undefined;
  if (running && options.modelRef && options.modelRef !== running.modelRef) {
    throw new CliError(
      `${name} already has a canary (${shortDigest(running.digest)}): promote it (100) or roll it back (0) first`,
      2,
    );
  }
  if (running) {
    if (percent === 100) return canary.promote(target, name, options);
    if (percent === 0) return canary.rollback(target, name, options);
    return canary.setSplit(target, name, percent, options);
  }
  if (!options.modelRef)
    throw new CliError(`--canary-percent needs --image-ref: the version to start as the canary`, 2);
  if (percent === 0 || percent === 100) {
    throw new CliError(
      'a new canary takes a share from 1 to 99 (deploy without --canary-percent to replace the version)',
      2,
    );
  }
  return canary.start(
    {
      target,
      name,
      modelRef: options.modelRef,
      ...(options.modelFile ? { modelFile: options.modelFile } : {}),
      plainHttp: options.plainHttp,
      percent,
    },
    options,
  );
}

function describeSplit(record: DeploymentRecord): string {
  const backends = record.routing?.backends ?? [];
  return backends.map((b) => `  ${b.weight}% → ${shortDigest(b.digest)} (${b.instance}, port ${b.port})\n`).join('');
}

export const undeployCommand: CliCommand = {
  async run(args) {
    const { values } = parseCommandArgs(args, { ...targetOptions, name: { type: 'string' } }, UNDEPLOY_USAGE);
    if (printedHelp(values, UNDEPLOY_USAGE)) return 0;
    if (!values.name) throw new CliError(`--name is required\n\n${UNDEPLOY_USAGE}`, 2);
    const workspaceRoot = workspaceOf(values.workspace);
    const config = resolveTarget(values, workspaceRoot);
    const deployer = new Deployer({ store: new DeploymentStore(workspaceRoot), targets: createTargets([config]) });
    const record = await runDeployment(() => deployer.undeploy(config.name, values.name!));
    process.stdout.write(
      record ? `${describe(record)}\n` : `nothing was serving as ${values.name} on ${config.name}\n`,
    );
    return 0;
  },
};

export const deploymentsCommand: CliCommand = {
  async run(args) {
    const { values } = parseCommandArgs(
      args,
      {
        all: { type: 'boolean' },
        json: { type: 'boolean' },
        workspace: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      DEPLOYMENTS_USAGE,
    );
    if (printedHelp(values, DEPLOYMENTS_USAGE)) return 0;
    const store = new DeploymentStore(workspaceOf(values.workspace));
    const listing = store.list();
    const records = values.all ? listing.records : store.latestPerName();
    if (values.json) {
      process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
    } else if (records.length === 0) {
      process.stdout.write('No deployments yet: trackside deploy --help\n');
    } else {
      for (const record of records) {
        process.stdout.write(
          `${record.updatedAt}  ${describe(record)}${record.error ? ` — ${record.error.message}` : ''}\n`,
        );
      }
    }
    for (const name of listing.skipped) process.stderr.write(`trackside: skipped unreadable record ${name}\n`);
    return 0;
  },
};
