import { z } from 'zod';
import { DeployError } from '../errors';
import { toYaml } from '../kube-yaml';
import { sendInferRequest, type InferRequest, type InferResponse } from '../oip-client';
import type {
  DeployedInstance,
  DeploymentTarget,
  InstanceHandle,
  InstanceState,
  RuntimeSpec,
  TargetCallOptions,
} from '../target';
import type { PodmanTargetConfig } from '../targets-config';
import { DEPLOYMENT_LABEL, podmanDeployment, podmanTeardownDeployment } from './deployment-yaml';
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
const ErrorBodySchema = z.object({ message: z.string().optional(), cause: z.string().optional() });

function errorText(value: unknown, status: number): string {
  const parsed = ErrorBodySchema.safeParse(value);
  return parsed.success ? (parsed.data.message ?? parsed.data.cause ?? `status ${status}`) : `status ${status}`;
}

function labelFilter(name: string): string {
  return encodeURIComponent(JSON.stringify({ label: [`${DEPLOYMENT_LABEL}=${name}`] }));
}

/**
 * Serves a model in a Podman pod created from a Kubernetes Deployment through the libpod API.
 * Every answer is checked against the containers' real state afterwards: `play/kube` answers 200
 * even when the container's command fails at once.
 */
export class PodmanTarget implements DeploymentTarget {
  readonly kind = 'podman';
  readonly name: string;
  private readonly client: LibpodClient;

  constructor(private readonly config: PodmanTargetConfig) {
    this.name = config.name;
    this.client = new LibpodClient(config.address);
  }

  private get endpoint(): string {
    return `http://${this.config.endpointHost ?? this.client.reachableHost}:${this.config.port}`;
  }

  async deploy(spec: RuntimeSpec, options: TargetCallOptions = {}): Promise<DeployedInstance> {
    // A pod left by a crash or an earlier half-finished deploy would make play/kube fail on the name.
    await this.undeploy(spec.name, undefined, options.signal);
    options.onProgress?.({ step: 'start', message: `Creating pod for ${spec.name} from ${this.config.image}` });
    const yaml = toYaml(podmanDeployment(spec, this.config));
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
    return { handle: { pod: pod.ID }, endpoint: this.endpoint, readiness: 'http' };
  }

  private async containers(name: string, signal?: AbortSignal) {
    const { status, value } = await this.client.json('GET', `/containers/json?all=true&filters=${labelFilter(name)}`, {
      signal,
    });
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
  ): Promise<InferResponse> {
    return sendInferRequest(instance.endpoint ?? this.endpoint, modelName, request, signal);
  }

  async undeploy(name: string, _handle?: InstanceHandle, signal?: AbortSignal): Promise<void> {
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
