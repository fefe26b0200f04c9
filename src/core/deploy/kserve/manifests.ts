import type { YamlValue } from '../kube-yaml';
import { parseModelRef } from '../model-ref';
import { RUNTIME_PATH_IN_IMAGE } from '../runtime-command';

export const KSERVE_API_VERSION = 'serving.kserve.io/v1beta1';

/** KServe's model format for a file, from its extension (the runtime KServe picks serves that format). */
export function modelFormatFor(modelFile: string | undefined): string {
  if (modelFile && /\.(pt|pth|torchscript|ts|mar)$/i.test(modelFile)) return 'pytorch';
  return 'sklearn';
}

/** `oci://registry/repository@sha256:…`: KServe's storage URI for a model pinned by digest. */
export function ociStorageUri(modelRef: string): string {
  const ref = parseModelRef(modelRef);
  return `oci://${ref.registry}/${ref.repository}@${ref.digest}`;
}

export interface InferenceServiceOptions {
  name: string;
  namespace?: string;
  modelRef: string;
  modelFormat: string;
  /** Percent of traffic for this (new) version; the last fully rolled-out version keeps the rest. */
  canaryTrafficPercent?: number;
  /** The version that keeps the rest of the traffic during a canary, recorded for people and tools. */
  stableModelRef?: string;
}

/**
 * An InferenceService serving one model version with the Open Inference Protocol (v2). For an A/B
 * split, KServe routes `canaryTrafficPercent` to this revision and the rest to the last revision
 * that was rolled out at 100% — which is why the stable version is applied first.
 */
export function inferenceService(options: InferenceServiceOptions): YamlValue {
  const annotations: Record<string, string> = { 'trackside.dev/model-ref': options.modelRef };
  if (options.stableModelRef) annotations['trackside.dev/stable-model-ref'] = options.stableModelRef;
  return {
    apiVersion: KSERVE_API_VERSION,
    kind: 'InferenceService',
    metadata: {
      name: options.name,
      ...(options.namespace ? { namespace: options.namespace } : {}),
      labels: { 'app.kubernetes.io/managed-by': 'trackside' },
      annotations,
    },
    spec: {
      predictor: {
        ...(options.canaryTrafficPercent !== undefined ? { canaryTrafficPercent: options.canaryTrafficPercent } : {}),
        model: {
          modelFormat: { name: options.modelFormat },
          protocolVersion: 'v2',
          storageUri: ociStorageUri(options.modelRef),
        },
      },
    },
  };
}

export interface PlainDeploymentOptions {
  name: string;
  namespace?: string;
  modelRef: string;
  modelName: string;
  modelFile?: string;
  image: string;
  port: number;
}

/** The same model on any cluster without KServe: Trackside's runtime as a Deployment behind a Service. */
export function plainDeploymentAndService(options: PlainDeploymentOptions): YamlValue[] {
  const labels = { app: options.name, 'app.kubernetes.io/managed-by': 'trackside' };
  const metadata = { name: options.name, ...(options.namespace ? { namespace: options.namespace } : {}), labels };
  const probe = (path: string) => ({ httpGet: { path, port: 'http' }, periodSeconds: 5 });
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata,
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: options.name } },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: 'server',
                image: options.image,
                command: ['python3', RUNTIME_PATH_IN_IMAGE],
                env: [
                  { name: 'TRACKSIDE_MODEL_NAME', value: options.modelName },
                  { name: 'TRACKSIDE_MODEL_REF', value: options.modelRef },
                  ...(options.modelFile ? [{ name: 'TRACKSIDE_MODEL_FILE', value: options.modelFile }] : []),
                  { name: 'TRACKSIDE_PORT', value: String(options.port) },
                ],
                ports: [{ name: 'http', containerPort: options.port }],
                livenessProbe: probe('/v2/health/live'),
                readinessProbe: probe('/v2/health/ready'),
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata,
      spec: {
        selector: { app: options.name },
        ports: [{ name: 'http', port: 80, targetPort: 'http' }],
      },
    },
  ];
}
