import type { YamlValue } from '../kube-yaml';
import { runtimeArguments, runtimeEnvironment } from '../runtime-command';
import type { RuntimeSpec } from '../target';

/** The label that finds a deployment's pods and containers again, whatever Podman names them. */
export const DEPLOYMENT_LABEL = 'trackside.deployment';
export const CONTAINER_NAME = 'server';

export function podmanObjectName(deploymentName: string): string {
  return `trackside-${deploymentName}`;
}

export interface PodmanRuntimeOptions {
  image: string;
  port: number;
  bindHost: string;
  hostPaths: string[];
  python: string;
  runtimePath: string;
}

/**
 * The Kubernetes Deployment that `play/kube` turns into a pod. Host networking lets the server
 * reach a registry on the host's loopback and be reached on `port` without port mapping.
 * `restartPolicy: Never` (Podman accepts it for Deployments) makes a server that cannot load its
 * model stay exited, so the deployer sees the failure instead of a restart loop.
 */
export function podmanDeployment(spec: RuntimeSpec, options: PodmanRuntimeOptions): YamlValue {
  const name = podmanObjectName(spec.name);
  const labels = { app: name, [DEPLOYMENT_LABEL]: spec.name };
  const volumes = options.hostPaths.map((path, index) => ({ name: `host-${index}`, path }));
  const env = Object.entries(runtimeEnvironment(spec)).map(([key, value]) => ({ name: key, value }));
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          hostNetwork: true,
          restartPolicy: 'Never',
          containers: [
            {
              name: CONTAINER_NAME,
              image: options.image,
              imagePullPolicy: 'IfNotPresent',
              command: [
                options.python,
                options.runtimePath,
                ...runtimeArguments(spec, { host: options.bindHost, port: options.port }),
              ],
              ...(env.length > 0 ? { env } : {}),
              volumeMounts: volumes.map((v) => ({ name: v.name, mountPath: v.path, readOnly: true })),
            },
          ],
          volumes: volumes.map((v) => ({ name: v.name, hostPath: { path: v.path, type: 'Directory' } })),
        },
      },
    },
  };
}

/** Enough of the Deployment for `DELETE /play/kube` to find the pod it created. */
export function podmanTeardownDeployment(deploymentName: string): YamlValue {
  const name = podmanObjectName(deploymentName);
  const labels = { app: name, [DEPLOYMENT_LABEL]: deploymentName };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: CONTAINER_NAME, image: 'scratch' }] } },
    },
  };
}
