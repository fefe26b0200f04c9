import { posix } from 'node:path';
import type { YamlValue } from '../kube-yaml';
import { groupOf, listenOf, runtimeArguments, runtimeEnvironment, scriptOf } from '../runtime-command';
import type { RuntimeSpec } from '../target';

/** The label that finds a deployment's pods and containers again, whatever Podman names them. */
export const DEPLOYMENT_LABEL = 'trackside.deployment';
/** On model-server instances only: the deployment whose prediction-log folder the container mounts. */
export const PREDICTIONS_LABEL = 'trackside.predictions';
export const CONTAINER_NAME = 'server';
/** Where a model server's prediction-log folder is mounted inside the container. */
export const PREDICTIONS_MOUNT = '/var/lib/trackside/predictions';

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
 * The host folder holding every deployment's prediction logs, one sub-folder per deployment: beside
 * Podman's own storage, so it lives (and is cleaned up) wherever that storage does.
 */
export function predictionsRoot(graphRoot: string): string {
  return posix.join(posix.dirname(graphRoot), 'trackside-predictions');
}

/**
 * The Kubernetes Deployment that `play/kube` turns into a pod. Host networking lets the server
 * reach a registry on the host's loopback and be reached on `port` without port mapping.
 * `restartPolicy: Never` (Podman accepts it for Deployments) makes a server that cannot load its
 * model stay exited, so the deployer sees the failure instead of a restart loop. A model server's
 * prediction log goes to a host folder (`predictionsHostRoot/<deployment>`), so it outlives the
 * container: a restart continues it, a redeploy of the name keeps it.
 */
export function podmanDeployment(
  spec: RuntimeSpec,
  options: PodmanRuntimeOptions,
  predictionsHostRoot: string,
): YamlValue {
  const name = podmanObjectName(spec.name);
  const router = scriptOf(spec) === 'router.py';
  const group = groupOf(spec);
  const labels = {
    app: name,
    [DEPLOYMENT_LABEL]: spec.name,
    ...(router ? {} : { [PREDICTIONS_LABEL]: group }),
  };
  const volumes = options.hostPaths.map((path, index) => ({
    name: `host-${index}`,
    mount: { mountPath: path, readOnly: true },
    source: { path, type: 'Directory' },
  }));
  if (!router) {
    volumes.push({
      name: 'predictions',
      mount: { mountPath: PREDICTIONS_MOUNT, readOnly: false },
      source: { path: posix.join(predictionsHostRoot, group), type: 'DirectoryOrCreate' },
    });
  }
  const env = Object.entries(runtimeEnvironment(spec)).map(([key, value]) => ({ name: key, value }));
  const script = router ? posix.join(posix.dirname(options.runtimePath), 'router.py') : options.runtimePath;
  const logPath = router ? undefined : posix.join(PREDICTIONS_MOUNT, `${spec.name}.jsonl`);
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
              command: [options.python, script, ...runtimeArguments(spec, listenOf(spec, options), logPath)],
              ...(env.length > 0 ? { env } : {}),
              volumeMounts: volumes.map((v) => ({ name: v.name, ...v.mount })),
            },
          ],
          volumes: volumes.map((v) => ({ name: v.name, hostPath: v.source })),
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
