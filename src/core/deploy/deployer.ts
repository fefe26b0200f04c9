import { z } from 'zod';
import { DeployError, DeploymentFailedError, asDeployError, type DeployFailureReason } from './errors';
import { waitUntilReady } from './health-wait';
import { parseModelRef } from './model-ref';
import type { InferRequest, InferResponse } from './oip-client';
import type { DeploymentStore } from './record-store';
import {
  MonitoringSettingsSchema,
  frontInstance,
  recordInstances,
  type DeploymentRecord,
  type MonitoringSettings,
} from './records';
import type { ServingOptions } from './runtime-command';
import type { DeployProgress, DeploymentTarget, InstanceState, RuntimeSpec } from './target';
import { pullAccessFor } from './pull-access';
import { DeploymentNameSchema } from './targets-config';
import { hasControlCharacter } from '../shell/quoting';

export const DeployRequestSchema = z.object({
  target: z.string().min(1),
  name: DeploymentNameSchema,
  /** `registry/repository@sha256:<digest>`, as a push reports it. */
  modelRef: z.string().min(1),
  /** The name in `/v2/models/<modelName>/…` (default: the deployment name). */
  modelName: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/)
    .optional(),
  /** The file inside the artifact to serve (a name from the artifact's layers: never a control character). */
  modelFile: z
    .string()
    .min(1)
    .refine((file) => !hasControlCharacter(file), 'a model file name cannot hold control characters')
    .optional(),
  /** The registry speaks plain http (a loopback or lab registry). */
  plainHttp: z.boolean().default(false),
  labels: z.record(z.string(), z.string()).optional(),
  /** The prediction log's sample rate and size (default: every request, 50 MB × 3 files). */
  monitoring: MonitoringSettingsSchema.optional(),
});
export type DeployRequest = z.input<typeof DeployRequestSchema>;

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface DeployerOptions {
  store: DeploymentStore;
  targets: ReadonlyMap<string, DeploymentTarget>;
  /** How long a new server may take to pull and load its model. */
  healthTimeoutMs?: number;
  pollIntervalMs?: number;
  logTailLines?: number;
  /** Credentials the runtime uses to pull from a registry host (kept out of records). */
  registryCredentials?: (registry: string) => Promise<RegistryCredentials | undefined>;
  /** The bearer token a deployment's server asks every client for (kept out of records); none: open. */
  servingToken?: (target: string, name: string) => Promise<string | undefined>;
}

/** What a runtime spec is made from: one version of a model, served under a name. */
export interface VersionToServe {
  name: string;
  modelName: string;
  modelRef: string;
  modelFile?: string;
  plainHttp: boolean;
  monitoring?: MonitoringSettings;
}

/**
 * The runtime spec for one version on one target, with the registry access (a scoped pull token
 * where the registry offers one) and bearer token looked up now: they travel to the runtime only,
 * never into a record. `serving` adds what an
 * instance behind a router needs (its group, port, loopback address).
 */
export async function servedSpecFor(
  options: Pick<DeployerOptions, 'registryCredentials' | 'servingToken'>,
  target: string,
  version: VersionToServe,
  serving: Omit<ServingOptions, 'authToken' | 'predictionLog'> = {},
): Promise<RuntimeSpec> {
  const credentials = await options.registryCredentials?.(parseModelRef(version.modelRef).registry);
  const token = await options.servingToken?.(target, serving.group ?? version.name);
  const log = version.monitoring;
  return {
    name: version.name,
    modelName: version.modelName,
    modelRef: version.modelRef,
    ...(version.modelFile ? { modelFile: version.modelFile } : {}),
    registry: credentials
      ? await pullAccessFor(version.modelRef, version.plainHttp, credentials)
      : { plainHttp: version.plainHttp },
    serving: {
      ...serving,
      ...(token ? { authToken: token } : {}),
      ...(log
        ? {
            predictionLog: {
              ...(log.sampleRate !== undefined ? { sampleRate: log.sampleRate } : {}),
              ...(log.logMaxBytes !== undefined ? { maxBytes: log.logMaxBytes } : {}),
              ...(log.logFiles !== undefined ? { files: log.logFiles } : {}),
            },
          }
        : {}),
    },
  };
}

/** Stops every instance a record may have running (its router and the versions behind it, or its one server). */
export async function stopRecordInstances(
  target: DeploymentTarget,
  record: DeploymentRecord,
  signal?: AbortSignal,
): Promise<void> {
  for (const instance of recordInstances(record)) await target.undeploy(instance.name, instance.handle, signal);
}

export interface OperationOptions {
  signal?: AbortSignal;
  onProgress?: (progress: DeployProgress) => void;
}

/**
 * Deploys model versions to targets and keeps their records: deploy → wait for health → record.
 * A failure collects the server's last log lines, removes whatever was created, records the
 * failed attempt and, if a working version was replaced, brings that version back.
 */
export class Deployer {
  private readonly healthTimeoutMs: number;
  private readonly pollIntervalMs: number;
  private readonly logTailLines: number;

  constructor(private readonly options: DeployerOptions) {
    this.healthTimeoutMs = options.healthTimeoutMs ?? 120_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 300;
    this.logTailLines = options.logTailLines ?? 40;
  }

  private target(name: string): DeploymentTarget {
    const target = this.options.targets.get(name);
    if (!target) {
      const known = [...this.options.targets.keys()].join(', ') || 'none configured';
      throw new DeployError('invalid-request', `no deployment target named "${name}" (targets: ${known})`);
    }
    return target;
  }

  /** Deploys a version under a name, replacing what serves under that name now. Throws DeploymentFailedError. */
  async deploy(request: DeployRequest, options: OperationOptions = {}): Promise<DeploymentRecord> {
    return this.deployVersion(request, options, undefined, true);
  }

  private async deployVersion(
    input: DeployRequest,
    options: OperationOptions,
    rolledBackFrom: string | undefined,
    restoreOnFailure: boolean,
  ): Promise<DeploymentRecord> {
    const parsed = DeployRequestSchema.safeParse(input);
    if (!parsed.success) throw new DeployError('invalid-request', z.prettifyError(parsed.error));
    const request = parsed.data;
    const target = this.target(request.target);
    const ref = parseModelRef(request.modelRef);
    const { store } = this.options;
    const progress = options.onProgress ?? (() => undefined);

    const previous = store.current(target.name, request.name);
    const now = new Date().toISOString();
    let record = await store.save({
      id: store.newId(),
      name: request.name,
      target: target.name,
      targetKind: target.kind,
      modelName: request.modelName ?? request.name,
      modelRef: request.modelRef,
      digest: ref.digest,
      ...(request.modelFile ? { modelFile: request.modelFile } : {}),
      plainHttp: request.plainHttp,
      status: 'deploying',
      ...(rolledBackFrom ? { rolledBackFrom } : {}),
      ...(request.labels ? { labels: request.labels } : {}),
      ...(request.monitoring ? { monitoring: request.monitoring } : {}),
      createdAt: now,
      updatedAt: now,
      events: [{ at: now, status: 'deploying' }],
    });

    const spec = await servedSpecFor(this.options, target.name, { ...request, modelName: record.modelName });

    let handle: Record<string, string | number> | undefined;
    try {
      if (previous) {
        progress({ step: 'stop-previous', message: `Stopping ${previous.name} (${previous.digest.slice(7, 19)})` });
        await stopRecordInstances(target, previous, options.signal);
        await store.transition(previous, 'replaced', {}, `replaced by ${record.id}`);
      }
      progress({ step: 'start', message: `Starting ${request.name} on ${target.name}` });
      const instance = await target.deploy(spec, options);
      handle = instance.handle;
      record = await store.save({ ...record, handle, ...(instance.endpoint ? { endpoint: instance.endpoint } : {}) });
      if (instance.readiness !== 'none') {
        progress({ step: 'health', message: `Waiting for ${request.name} to load its model and report ready` });
      }
      await waitUntilReady(target, request.name, instance, {
        timeoutMs: this.healthTimeoutMs,
        pollIntervalMs: this.pollIntervalMs,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      progress({
        step: 'record',
        message: `${request.name} is ${instance.readiness === 'none' ? 'written' : 'ready'}`,
      });
      return await store.transition(record, instance.readiness === 'none' ? 'written' : 'ready');
    } catch (thrown) {
      const failure = await this.cleanUpFailure(target, request.name, handle, asDeployError(thrown), progress);
      record = await store.transition(
        record,
        'failed',
        {
          error: {
            reason: failure.error.reason,
            message: failure.error.message,
            nextStep: failure.error.nextStep,
            logTail: failure.error.logTail,
          },
        },
        failure.error.message,
      );
      if (previous?.status === 'ready' && restoreOnFailure && failure.error.reason !== 'aborted') {
        progress({ step: 'restore-previous', message: `Bringing back the version that served before` });
        await this.deployVersion(requestOf(previous), options, record.id, false).catch(() => undefined);
      }
      throw new DeploymentFailedError(record.id, failure.error, failure.cleanupFailed);
    }
  }

  /** Reads the last log lines, then removes everything created; the logs go first because removal deletes them. */
  private async cleanUpFailure(
    target: DeploymentTarget,
    name: string,
    handle: Record<string, string | number> | undefined,
    error: DeployError,
    progress: (p: DeployProgress) => void,
  ): Promise<{ error: DeployError; cleanupFailed?: string }> {
    // When the target could not even be reached, nothing was created and there is nothing to read or remove.
    if (handle === undefined && unreachableReasons.has(error.reason)) return { error };
    const logTail = await target.logs(name, handle, this.logTailLines).catch(() => []);
    progress({ step: 'cleanup', message: `Removing what was created for ${name}` });
    try {
      await target.undeploy(name, handle);
      return { error: error.withLogTail(logTail) };
    } catch (cleanup) {
      return { error: error.withLogTail(logTail), cleanupFailed: asDeployError(cleanup).message };
    }
  }

  /**
   * Deploys again the version that served under this name before the current one. Like
   * `kubectl rollout undo`, rolling back twice returns to where it started.
   */
  async rollback(targetName: string, name: string, options: OperationOptions = {}): Promise<DeploymentRecord> {
    const history = this.options.store.history(targetName, name);
    const current = [...history].reverse().find((r) => r.status === 'ready' || r.status === 'written');
    if (!current)
      throw new DeployError(
        'not-found',
        `nothing serves as ${name} on ${targetName}, so there is nothing to roll back`,
      );
    const previous = [...history]
      .reverse()
      .find((r) => r.id < current.id && r.status === 'replaced' && r.digest !== current.digest);
    if (!previous)
      throw new DeployError('not-found', `${name} on ${targetName} has no earlier version to roll back to`);
    return this.deployVersion(requestOf(previous), options, current.id, true);
  }

  /** Stops what serves under this name. Safe to repeat: a name with nothing running just resolves. */
  async undeploy(
    targetName: string,
    name: string,
    options: OperationOptions = {},
  ): Promise<DeploymentRecord | undefined> {
    const target = this.target(targetName);
    const current = this.options.store.current(targetName, name);
    options.onProgress?.({ step: 'cleanup', message: `Stopping ${name} on ${targetName}` });
    if (current) await stopRecordInstances(target, current, options.signal);
    else await target.undeploy(name, undefined, options.signal);
    if (!current) return undefined;
    return this.options.store.transition(current, 'undeployed');
  }

  /**
   * The live state of a ready deployment. A server found stopped turns its record into a failed
   * one with the reason and last log lines, so a crash after deployment shows up in the list.
   */
  async refresh(
    record: DeploymentRecord,
    signal?: AbortSignal,
  ): Promise<{ record: DeploymentRecord; state: InstanceState }> {
    const target = this.target(record.target);
    const front = frontInstance(record);
    const state = await target.status(front.name, front.handle, signal);
    if (record.status !== 'ready' || (state.state !== 'exited' && state.state !== 'missing')) return { record, state };
    const logTail = await target.logs(front.name, front.handle, this.logTailLines, signal).catch(() => []);
    const error =
      state.state === 'exited'
        ? new DeployError(
            'container-exited',
            `the model server stopped with exit code ${state.exitCode ?? -1}`,
            logTail,
          )
        : new DeployError('container-exited', `the model server is no longer on ${record.target}`, logTail);
    const updated = await this.options.store.transition(
      record,
      'failed',
      { error: { reason: error.reason, message: error.message, nextStep: error.nextStep, logTail } },
      error.message,
    );
    return { record: updated, state };
  }

  logs(record: DeploymentRecord, tail = 200, signal?: AbortSignal): Promise<string[]> {
    const front = frontInstance(record);
    return this.target(record.target).logs(front.name, front.handle, tail, signal);
  }

  /** Sends a test request to a ready deployment (Open Inference Protocol v2). */
  async infer(record: DeploymentRecord, request: InferRequest, signal?: AbortSignal): Promise<InferResponse> {
    if (record.status !== 'ready') {
      throw new DeployError('not-found', `${record.name} is ${record.status}, not serving requests`);
    }
    const target = this.target(record.target);
    const token = await this.options.servingToken?.(record.target, record.name);
    return target.infer(
      { handle: record.handle ?? {}, readiness: 'http', ...(record.endpoint ? { endpoint: record.endpoint } : {}) },
      record.modelName,
      request,
      signal,
      token,
    );
  }
}

const unreachableReasons = new Set<DeployFailureReason>([
  'auth-refused',
  'host-key-rejected',
  'host-unreachable',
  'target-unreachable',
]);

function requestOf(record: DeploymentRecord): DeployRequest {
  return {
    target: record.target,
    name: record.name,
    modelRef: record.modelRef,
    modelName: record.modelName,
    ...(record.modelFile ? { modelFile: record.modelFile } : {}),
    plainHttp: record.plainHttp,
    ...(record.labels ? { labels: record.labels } : {}),
    ...(record.monitoring ? { monitoring: record.monitoring } : {}),
  };
}
