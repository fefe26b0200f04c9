import type { ServingOptions } from './runtime-command';
import type { InferRequest, InferResponse } from './oip-client';

/** What a target needs to start the runtime for one model version. */
export interface RuntimeSpec {
  /** The deployment's name: a DNS label, unique per target (pod, process and manifest names derive from it). */
  name: string;
  /** The model name in Open Inference Protocol paths (`/v2/models/<modelName>/infer`). */
  modelName: string;
  /** `registry/repository@sha256:<digest>` */
  modelRef: string;
  /** The file inside the artifact to load, when it holds more than one model file. */
  modelFile?: string;
  registry: RegistryAccess;
  /** Where it listens, its prediction log and token, or that it is a router (absent: a plain model server). */
  serving?: ServingOptions;
}

/** How the runtime reaches the registry. Credentials travel only to the runtime, never into records. */
export interface RegistryAccess {
  plainHttp: boolean;
  username?: string;
  password?: string;
  /** A token scoped to pulling the model's repository, in place of the credentials. */
  token?: string;
}

/** Where a deployed instance can be found again; the fields depend on the target kind. */
export type InstanceHandle = Record<string, string | number>;

export interface DeployedInstance {
  handle: InstanceHandle;
  /** Base URL of the Open Inference Protocol server, when the target exposes one. */
  endpoint?: string;
  /**
   * How to know the instance is ready: poll the endpoint's `/v2/health/ready`, ask the target
   * (a cluster reports readiness itself), or nothing to wait for (manifests written, not applied).
   */
  readiness: 'http' | 'target' | 'none';
}

export interface InstanceState {
  state: 'starting' | 'running' | 'ready' | 'exited' | 'missing' | 'unknown';
  /** Set when the state is `exited`. */
  exitCode?: number;
  detail?: string;
}

export interface DeployProgress {
  step: 'prepare' | 'start' | 'health' | 'record' | 'cleanup' | 'stop-previous' | 'restore-previous';
  message: string;
}

export interface TargetCallOptions {
  signal?: AbortSignal;
  onProgress?: (progress: DeployProgress) => void;
}

/**
 * One place a model can be served. Every method is safe to call again: `undeploy` of something
 * already gone succeeds, and `status`/`logs` of a missing instance report it rather than throw.
 * Methods throw `DeployError` with a reason.
 */
export interface DeploymentTarget {
  readonly name: string;
  readonly kind: TargetKind;
  deploy(spec: RuntimeSpec, options?: TargetCallOptions): Promise<DeployedInstance>;
  status(name: string, handle: InstanceHandle | undefined, signal?: AbortSignal): Promise<InstanceState>;
  /** The last `tail` lines the runtime printed (empty when there is nothing to read). */
  logs(name: string, handle: InstanceHandle | undefined, tail: number, signal?: AbortSignal): Promise<string[]>;
  infer(
    instance: DeployedInstance,
    modelName: string,
    request: InferRequest,
    signal?: AbortSignal,
    /** The deployment's bearer token, when its server asks for one. */
    token?: string,
  ): Promise<InferResponse>;
  /** Stops and removes everything this target created under `name`. Idempotent. */
  undeploy(name: string, handle: InstanceHandle | undefined, signal?: AbortSignal): Promise<void>;
}

export type TargetKind = 'podman' | 'ssh' | 'kserve';
