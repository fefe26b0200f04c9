import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { DeployError } from '../errors';
import { toYaml, toYamlDocuments } from '../kube-yaml';
import { sendInferRequest, type InferRequest, type InferResponse } from '../oip-client';
import type {
  DeployedInstance,
  DeploymentTarget,
  InstanceHandle,
  InstanceState,
  RuntimeSpec,
  TargetCallOptions,
} from '../target';
import type { KServeTargetConfig } from '../targets-config';
import { inferenceService, modelFormatFor, plainDeploymentAndService } from './manifests';

export interface SplitRequest {
  name: string;
  /** The version serving now, which keeps `100 - canaryTrafficPercent` of the traffic. */
  stable: { modelRef: string; modelFile?: string };
  /** The new version, which gets `canaryTrafficPercent`. */
  canary: { modelRef: string; modelFile?: string; modelName?: string };
  canaryTrafficPercent: number;
}

export interface WrittenManifests {
  /** Paths relative to the workspace, in the order they are applied. */
  files: string[];
  applied: boolean;
}

const ConditionsSchema = z.object({
  status: z
    .object({
      url: z.string().optional(),
      conditions: z
        .array(z.object({ type: z.string(), status: z.string(), message: z.string().optional() }))
        .optional(),
    })
    .optional(),
});

/**
 * Writes KServe and plain Kubernetes manifests into the workspace (`deploy/kserve/`,
 * `deploy/kubernetes/`) so they can be reviewed and committed, and applies them with `kubectl`
 * when a current context is configured. Without a cluster the deployment ends as `written`.
 *
 * The apply, status and log paths need a real cluster with KServe and are not covered by the
 * automated tests (they run where no Kubernetes API server is available); manifest content is.
 */
export class KServeTarget implements DeploymentTarget {
  readonly kind = 'kserve';
  readonly name: string;

  constructor(private readonly config: KServeTargetConfig) {
    this.name = config.name;
  }

  private get workspaceRoot(): string {
    if (!this.config.workspaceRoot) {
      throw new DeployError('invalid-request', `target ${this.name} has no workspace folder to write manifests into`);
    }
    return this.config.workspaceRoot;
  }

  private paths(name: string) {
    return {
      inferenceService: join('deploy', 'kserve', `${name}.yaml`),
      stable: join('deploy', 'kserve', `${name}.stable.yaml`),
      plain: join('deploy', 'kubernetes', `${name}.yaml`),
    };
  }

  private async write(path: string, content: string): Promise<void> {
    const absolute = join(this.workspaceRoot, path);
    await mkdir(join(absolute, '..'), { recursive: true });
    await writeFile(absolute, content);
  }

  async deploy(spec: RuntimeSpec, options: TargetCallOptions = {}): Promise<DeployedInstance> {
    const paths = this.paths(spec.name);
    options.onProgress?.({ step: 'prepare', message: `Writing ${paths.inferenceService} and ${paths.plain}` });
    await this.write(
      paths.inferenceService,
      toYaml(
        inferenceService({
          name: spec.name,
          modelRef: spec.modelRef,
          modelFormat: modelFormatFor(spec.modelFile),
          ...(this.config.namespace ? { namespace: this.config.namespace } : {}),
        }),
      ),
    );
    await rm(join(this.workspaceRoot, paths.stable), { force: true });
    await this.write(paths.plain, toYamlDocuments(plainDeploymentAndService(this.plainOptions(spec))));
    const applied = await this.applyIfConfigured([paths.inferenceService], options.signal);
    return {
      handle: { name: spec.name, manifest: paths.inferenceService, applied: applied ? 1 : 0 },
      readiness: applied ? 'target' : 'none',
    };
  }

  /** Writes an A/B split: the stable version's manifest, then the canary's with its traffic share. */
  async writeSplit(request: SplitRequest, signal?: AbortSignal): Promise<WrittenManifests> {
    if (!(request.canaryTrafficPercent > 0 && request.canaryTrafficPercent < 100)) {
      throw new DeployError('invalid-request', 'the canary traffic share must be between 1 and 99 percent');
    }
    const paths = this.paths(request.name);
    const namespace = this.config.namespace ? { namespace: this.config.namespace } : {};
    await this.write(
      paths.stable,
      toYaml(
        inferenceService({
          name: request.name,
          modelRef: request.stable.modelRef,
          modelFormat: modelFormatFor(request.stable.modelFile),
          ...namespace,
        }),
      ),
    );
    await this.write(
      paths.inferenceService,
      toYaml(
        inferenceService({
          name: request.name,
          modelRef: request.canary.modelRef,
          modelFormat: modelFormatFor(request.canary.modelFile),
          canaryTrafficPercent: request.canaryTrafficPercent,
          stableModelRef: request.stable.modelRef,
          ...namespace,
        }),
      ),
    );
    const files = [paths.stable, paths.inferenceService];
    return { files, applied: await this.applyIfConfigured(files, signal) };
  }

  private plainOptions(spec: RuntimeSpec) {
    return {
      name: spec.name,
      modelRef: spec.modelRef,
      modelName: spec.modelName,
      image: this.config.runtimeImage,
      port: this.config.port,
      ...(spec.modelFile ? { modelFile: spec.modelFile } : {}),
      ...(this.config.namespace ? { namespace: this.config.namespace } : {}),
    };
  }

  /** True when kubectl is installed and has a current context; otherwise the manifests are only written. */
  async hasCluster(signal?: AbortSignal): Promise<boolean> {
    const result = await this.kubectl(['config', 'current-context'], signal).catch(() => undefined);
    return result !== undefined && result.code === 0 && result.stdout.trim().length > 0;
  }

  private async applyIfConfigured(files: string[], signal?: AbortSignal): Promise<boolean> {
    if (!this.config.apply || !(await this.hasCluster(signal))) return false;
    for (const file of files) {
      const result = await this.kubectl(['apply', '-f', join(this.workspaceRoot, file)], signal);
      if (result.code !== 0)
        throw new DeployError('target-error', `kubectl apply -f ${file} failed: ${result.stderr.trim()}`);
    }
    return true;
  }

  private kubectl(args: string[], signal?: AbortSignal): Promise<{ code: number; stdout: string; stderr: string }> {
    const namespaced = this.config.namespace && args[0] !== 'config' ? ['-n', this.config.namespace, ...args] : args;
    return new Promise((resolve, reject) => {
      execFile(this.config.kubectl, namespaced, { signal, timeout: 60_000 }, (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      });
    });
  }

  private async inferenceServiceStatus(name: string, signal?: AbortSignal) {
    const result = await this.kubectl(['get', 'inferenceservice', name, '-o', 'json'], signal);
    if (result.code !== 0) return undefined;
    return ConditionsSchema.parse(JSON.parse(result.stdout)).status;
  }

  async status(name: string, handle?: InstanceHandle, signal?: AbortSignal): Promise<InstanceState> {
    if (!handle?.applied) return { state: 'unknown', detail: 'manifests written, not applied' };
    const status = await this.inferenceServiceStatus(name, signal);
    if (!status) return { state: 'missing' };
    const ready = status.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status === 'True') return { state: 'ready' };
    return { state: 'starting', ...(ready?.message ? { detail: ready.message } : {}) };
  }

  async logs(name: string, handle: InstanceHandle | undefined, tail: number, signal?: AbortSignal): Promise<string[]> {
    if (!handle?.applied) return [];
    const result = await this.kubectl(
      ['logs', '-l', `serving.kserve.io/inferenceservice=${name}`, '--all-containers', `--tail=${tail}`],
      signal,
    );
    return result.stdout.split('\n').filter((line) => line.length > 0);
  }

  async infer(
    instance: DeployedInstance,
    modelName: string,
    request: InferRequest,
    signal?: AbortSignal,
    token?: string,
  ): Promise<InferResponse> {
    const name = String(instance.handle.name ?? '');
    const url = instance.endpoint ?? (name ? (await this.inferenceServiceStatus(name, signal))?.url : undefined);
    if (!url) throw new DeployError('not-found', 'this InferenceService has no URL yet: is it applied to a cluster?');
    return sendInferRequest(url, modelName, request, signal, token);
  }

  async undeploy(name: string, handle?: InstanceHandle, signal?: AbortSignal): Promise<void> {
    const paths = this.paths(name);
    if (handle?.applied && (await this.hasCluster(signal))) {
      const result = await this.kubectl(['delete', 'inferenceservice', name, '--ignore-not-found'], signal);
      if (result.code !== 0) throw new DeployError('target-error', `kubectl delete failed: ${result.stderr.trim()}`);
    }
    for (const path of Object.values(paths)) await rm(join(this.workspaceRoot, path), { force: true });
  }
}
