import { z } from 'zod';
import { DeployError } from '../errors';
import { toYaml } from '../kube-yaml';
import { sendInferRequest, type InferRequest, type InferResponse } from '../oip-client';
import { listenOf, type ServingTarget } from '../runtime-command';
import type { DeployedInstance, InstanceHandle, InstanceState, RuntimeSpec, TargetCallOptions } from '../target';
import type { PodmanTargetConfig } from '../targets-config';
import {
  DEPLOYMENT_LABEL,
  PREDICTIONS_LABEL,
  PREDICTIONS_MOUNT,
  podmanDeployment,
  podmanTeardownDeployment,
  predictionsRoot,
} from './deployment-yaml';
import { LibpodClient, demultiplexLogs } from './libpod-client';

const PlayKubeReportSchema = z.object({
  Pods: z
    .array(
      z.object({
        ID: z.string(),
        Containers: z.array(z.string()).nullish(),
        ContainerErrors: z.array(z.string()).nullish(),
      }),
    )
    .nullish(),
});

const ContainerListSchema = z.array(
  z.object({
    Id: z.string(),
    State: z.string(),
    ExitCode: z.number().optional(),
    IsInfra: z.boolean().optional(),
    Names: z.array(z.string()).nullish(),
    Pod: z.string().optional(),
  }),
);

const PodListSchema = z.array(z.object({ Id: z.string(), Name: z.string() }));
const InfoSchema = z.object({ store: z.object({ graphRoot: z.string().min(1) }) });
const ContainerInspectSchema = z.object({ Config: z.object({ Env: z.array(z.string()).nullish() }) });

/** How long a stopping server may drain (serve.py takes up to 3 s) before Podman kills it. */
const STOP_GRACE_SECONDS = 5;
const ErrorBodySchema = z.object({ message: z.string().optional(), cause: z.string().optional() });

function errorText(value: unknown, status: number): string {
  const parsed = ErrorBodySchema.safeParse(value);
  return parsed.success ? (parsed.data.message ?? parsed.data.cause ?? `status ${status}`) : `status ${status}`;
}

function labelFilter(name: string, label = DEPLOYMENT_LABEL): string {
  return encodeURIComponent(JSON.stringify({ label: [`${label}=${name}`] }));
}

/**
 * Serves a model in a Podman pod created from a Kubernetes Deployment through the libpod API.
 * Every answer is checked against the containers' real state afterwards: `play/kube` answers 200
 * even when the container's command fails at once.
 */
export class PodmanTarget implements ServingTarget {
  readonly kind = 'podman';
  readonly name: string;
  private readonly client: LibpodClient;
  private hostPredictionsRoot: Promise<string> | undefined;

  constructor(private readonly config: PodmanTargetConfig) {
    this.name = config.name;
    this.client = new LibpodClient(config.address);
  }

  private endpoint(port = this.config.port): string {
    return `http://${this.config.endpointHost ?? this.client.reachableHost}:${port}`;
  }

  /** The host folder for prediction logs, found from where this Podman keeps its storage (asked once). */
  private predictionsRoot(signal?: AbortSignal): Promise<string> {
    this.hostPredictionsRoot ??= this.client.json('GET', '/info', { signal }).then(({ status, value }) => {
      const info = InfoSchema.safeParse(value);
      if (status !== 200 || !info.success) {
        throw new DeployError(
          'target-error',
          `Podman did not say where it keeps its storage: ${errorText(value, status)}`,
        );
      }
      return predictionsRoot(info.data.store.graphRoot);
    });
    this.hostPredictionsRoot.catch(() => (this.hostPredictionsRoot = undefined));
    return this.hostPredictionsRoot;
  }

  async deploy(spec: RuntimeSpec, options: TargetCallOptions = {}): Promise<DeployedInstance> {
    // A pod left by a crash or an earlier half-finished deploy would make play/kube fail on the name.
    await this.undeploy(spec.name, undefined, options.signal);
    options.onProgress?.({ step: 'start', message: `Creating pod for ${spec.name} from ${this.config.image}` });
    const yaml = toYaml(podmanDeployment(spec, this.config, await this.predictionsRoot(options.signal)));
    const { status, value } = await this.client.json('POST', '/play/kube?start=true', {
      body: yaml,
      contentType: 'application/yaml',
      signal: options.signal,
    });
    if (status !== 200) {
      throw new DeployError('target-error', `Podman could not create the pod: ${errorText(value, status)}`);
    }
    const report = PlayKubeReportSchema.safeParse(value);
    const pod = report.success ? report.data.Pods?.[0] : undefined;
    if (!pod) throw new DeployError('target-error', 'Podman created no pod from the deployment');
    const containerErrors = pod.ContainerErrors ?? [];
    if (containerErrors.length > 0) {
      throw new DeployError('container-exited', `the container did not start: ${containerErrors.join('; ')}`);
    }
    return { handle: { pod: pod.ID }, endpoint: this.endpoint(listenOf(spec, this.config).port), readiness: 'http' };
  }

  private async containers(name: string, signal?: AbortSignal, label = DEPLOYMENT_LABEL) {
    const { status, value } = await this.client.json(
      'GET',
      `/containers/json?all=true&filters=${labelFilter(name, label)}`,
      { signal },
    );
    if (status !== 200)
      throw new DeployError('target-error', `Podman could not list containers: ${errorText(value, status)}`);
    return ContainerListSchema.parse(value ?? []).filter((c) => !c.IsInfra);
  }

  async status(name: string, _handle?: InstanceHandle, signal?: AbortSignal): Promise<InstanceState> {
    const [container] = await this.containers(name, signal);
    if (!container) return { state: 'missing' };
    switch (container.State) {
      case 'running':
        return { state: 'running' };
      case 'exited':
      case 'stopped':
        return { state: 'exited', exitCode: container.ExitCode ?? -1 };
      case 'created':
      case 'configured':
      case 'initialized':
        return { state: 'starting' };
      default:
        return { state: 'unknown', detail: container.State };
    }
  }

  async logs(name: string, _handle: InstanceHandle | undefined, tail: number, signal?: AbortSignal): Promise<string[]> {
    const [container] = await this.containers(name, signal);
    if (!container) return [];
    const response = await this.client.request(
      'GET',
      `/containers/${container.Id}/logs?stdout=true&stderr=true&tail=${tail}`,
      { signal },
    );
    if (response.status !== 200) return [];
    return demultiplexLogs(response.body)
      .split('\n')
      .filter((line) => line.length > 0)
      .slice(-tail);
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
    const containers = await this.containers(group, signal, PREDICTIONS_LABEL);
    // The folder is a host folder: any container that mounts it, running or stopped, can hand it over.
    const container = containers.find((c) => c.State === 'running') ?? containers[0];
    if (!container) {
      const folder = `${await this.predictionsRoot(signal)}/${group}`;
      throw new DeployError(
        'not-found',
        `no container of ${group} is left on ${this.name} to read its prediction log through; the log stays in ${folder} on the Podman host`,
      );
    }
    const response = await this.client.request(
      'GET',
      `/containers/${container.Id}/archive?path=${encodeURIComponent(PREDICTIONS_MOUNT)}`,
      { signal },
    );
    if (response.status === 404) return Buffer.alloc(0);
    if (response.status !== 200) {
      throw new DeployError(
        'target-error',
        `Podman could not hand over the prediction log of ${group}: status ${response.status}`,
      );
    }
    return response.body;
  }

  async instanceEnvironment(instance: string, key: string, signal?: AbortSignal): Promise<string | undefined> {
    const [container] = await this.containers(instance, signal);
    if (!container) return undefined;
    const { status, value } = await this.client.json('GET', `/containers/${container.Id}/json`, { signal });
    const inspected = ContainerInspectSchema.safeParse(value);
    if (status !== 200 || !inspected.success) return undefined;
    const line = (inspected.data.Config.Env ?? []).find((entry) => entry.startsWith(`${key}=`));
    return line?.slice(key.length + 1);
  }

  async undeploy(name: string, _handle?: InstanceHandle, signal?: AbortSignal): Promise<void> {
    const running = await this.client.json('GET', `/pods/json?filters=${labelFilter(name)}`, { signal });
    // Stopped first with a grace period, so a server draining on SIGTERM answers what it has in flight.
    for (const pod of PodListSchema.parse(running.status === 200 ? (running.value ?? []) : [])) {
      await this.client.request('POST', `/pods/${pod.Id}/stop?t=${STOP_GRACE_SECONDS}`, { signal });
    }
    const teardown = await this.client.json('DELETE', '/play/kube', {
      body: toYaml(podmanTeardownDeployment(name)),
      contentType: 'application/yaml',
      signal,
    });
    // 200 when it removed the pod, an error when there was nothing to remove: either way, sweep by label.
    void teardown;
    const pods = await this.client.json('GET', `/pods/json?filters=${labelFilter(name)}`, { signal });
    for (const pod of PodListSchema.parse(pods.status === 200 ? (pods.value ?? []) : [])) {
      await this.client.request('DELETE', `/pods/${pod.Id}?force=true`, { signal });
    }
    for (const container of await this.containers(name, signal)) {
      await this.client.request('DELETE', `/containers/${container.Id}?force=true`, { signal });
    }
    const left = await this.containers(name, signal);
    if (left.length > 0) {
      throw new DeployError('target-error', `Podman still lists ${left.length} container(s) of ${name} after removal`);
    }
  }
}
