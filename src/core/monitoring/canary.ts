import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { servedSpecFor, type DeployerOptions, type OperationOptions } from '../deploy/deployer';
import { DeployError, asDeployError } from '../deploy/errors';
import { waitUntilReady } from '../deploy/health-wait';
import { parseModelRef } from '../deploy/model-ref';
import { MonitoringSettingsSchema, type Backend, type DeploymentRecord } from '../deploy/records';
import { ROUTER_ADMIN_TOKEN_ENV, isServingTarget, type ServingTarget } from '../deploy/runtime-command';
import { DeploymentNameSchema } from '../deploy/targets-config';
import {
  backendFor,
  backendUrl,
  otherSlot,
  routeOf,
  routerName,
  shortOf,
  splitOf,
  type BackendVersion,
} from './canary-backends';
import { RouterClient, type RouteState } from './router-client';

/**
 * Canary releases and A/B splits on the Podman and SSH targets. A second version runs beside the
 * first behind router.py, which owns the deployment's port and sends each version its share:
 *
 * - start: the serving version is started again as backend `a` and the new one as `b` (each on a
 *   loopback port: the deployment's port + 1 and + 2), then the router joins the deployment's port
 *   (SO_REUSEPORT) and the plain server drains away. Once routed, a later canary just takes the free slot.
 * - setSplit / promote / rollback only change the router's table, wait for the backend taken out to
 *   answer what it has in flight, and then stop it: clients never see a failed request.
 *
 * Each step is a record: start and promote write a new one (what answers at the endpoint, or the
 * version, changed), a split change or a rollback updates the current one with an event. Every
 * change, done or failed, goes to the audit log.
 */

export interface AuditLog {
  audit(action: string, subject: string, detail?: Record<string, unknown>): Promise<void>;
}

export interface CanaryDeployerOptions extends DeployerOptions {
  /** Where each change is written (ModelRegistry writes the workspace's audit journal). */
  audit?: AuditLog;
  /** How long a backend taken out of the table may take to answer what it has in flight. */
  drainTimeoutMs?: number;
}

export const CanaryRequestSchema = z.object({
  target: z.string().min(1),
  name: DeploymentNameSchema,
  /** The new version, `registry/repository@sha256:<digest>`. */
  modelRef: z.string().min(1),
  modelFile: z.string().optional(),
  plainHttp: z.boolean().default(false),
  /** The canary's share of requests. */
  percent: z.number().int().min(1).max(99),
  labels: z.record(z.string(), z.string()).optional(),
  monitoring: MonitoringSettingsSchema.optional(),
});
export type CanaryRequest = z.input<typeof CanaryRequestSchema>;
type CanaryVersion = z.infer<typeof CanaryRequestSchema> & BackendVersion;

/** A deployment's split as recorded, with what its router reports now for each backend. */
export interface TrafficSplit {
  record: DeploymentRecord;
  backends: (Backend & { live: RouteState | null })[];
}

export class CanaryDeployer {
  private readonly healthTimeoutMs: number;
  private readonly pollIntervalMs: number;
  private readonly drainTimeoutMs: number;

  constructor(private readonly options: CanaryDeployerOptions) {
    this.healthTimeoutMs = options.healthTimeoutMs ?? 120_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 300;
    this.drainTimeoutMs = options.drainTimeoutMs ?? 30_000;
  }

  private target(name: string): ServingTarget {
    const target = this.options.targets.get(name);
    if (!target) throw new DeployError('invalid-request', `no deployment target named "${name}"`);
    if (!isServingTarget(target)) {
      throw new DeployError(
        'invalid-request',
        `${name} is a ${target.kind} target: a traffic split there is written as manifests`,
      );
    }
    return target;
  }

  private current(targetName: string, name: string): DeploymentRecord {
    const record = this.options.store.current(targetName, name);
    if (!record || record.status !== 'ready') {
      throw new DeployError('not-found', `nothing serves as ${name} on ${targetName}: deploy a version first`);
    }
    return record;
  }

  /** Runs one change and writes it to the audit log, whether it worked or not. */
  private async audited(
    action: string,
    targetName: string,
    name: string,
    detail: Record<string, unknown>,
    run: () => Promise<DeploymentRecord>,
  ): Promise<DeploymentRecord> {
    let outcome: Record<string, unknown> = {};
    try {
      const record = await run();
      outcome = { status: 'ready', recordId: record.id, split: splitOf(record) };
      return record;
    } catch (error) {
      const failure = asDeployError(error);
      outcome = { status: 'failed', reason: failure.reason, message: failure.message };
      throw error;
    } finally {
      await this.options.audit
        ?.audit(`deployment.canary.${action}`, `${targetName}/${name}`, {
          target: targetName,
          name,
          ...detail,
          ...outcome,
        })
        .catch(() => undefined);
    }
  }

  /** Starts a new version beside the serving one, with `percent` of the requests. */
  start(input: CanaryRequest, options: OperationOptions = {}): Promise<DeploymentRecord> {
    const parsed = CanaryRequestSchema.safeParse(input);
    if (!parsed.success) throw new DeployError('invalid-request', z.prettifyError(parsed.error));
    const request = parsed.data;
    const digest = parseModelRef(request.modelRef).digest;
    return this.audited('start', request.target, request.name, { percent: request.percent, digest }, async () => {
      const target = this.target(request.target);
      const current = this.current(request.target, request.name);
      const backends = current.routing?.backends ?? [];
      if (backends.length > 1) {
        throw new DeployError(
          'invalid-request',
          `${request.name} already has a canary: promote it or roll it back first`,
        );
      }
      return backends.length === 0
        ? this.startBehindNewRouter(target, current, request, options)
        : this.startInFreeSlot(target, current, backends[0]!, request, options);
    });
  }

  private async startBehindNewRouter(
    target: ServingTarget,
    current: DeploymentRecord,
    request: CanaryVersion,
    options: OperationOptions,
  ): Promise<DeploymentRecord> {
    const started: Backend[] = [];
    let routerStarted = false;
    let router: { handle: Record<string, string | number>; endpoint: string };
    try {
      started.push(
        await this.startBackend(target, current, backendFor(current, 'a', current, 100 - request.percent), options),
      );
      started.push(
        await this.startBackend(
          target,
          current,
          backendFor(current, 'b', request, request.percent),
          options,
          request.monitoring,
        ),
      );
      routerStarted = true;
      router = await this.startRouter(target, current, started, options);
      options.onProgress?.({ step: 'stop-previous', message: `Letting the server that served alone drain` });
      await target.undeploy(current.name, current.handle, options.signal);
    } catch (error) {
      await this.remove(target, [
        ...started.map((b) => b.instance),
        ...(routerStarted ? [routerName(current.name)] : []),
      ]);
      throw error;
    }
    const now = new Date().toISOString();
    const record = await this.options.store.save({
      ...current,
      id: this.options.store.newId(),
      status: 'ready',
      instance: routerName(current.name),
      handle: router.handle,
      endpoint: router.endpoint,
      routing: { backends: started },
      createdAt: now,
      updatedAt: now,
      events: [{ at: now, status: 'ready', detail: `canary ${shortOf(request.modelRef)} at ${request.percent}%` }],
    });
    await this.options.store.transition(current, 'replaced', {}, `moved behind the router of ${record.id}`);
    return record;
  }

  /**
   * Starts the router on the deployment's own port, beside the server there (SO_REUSEPORT), and
   * waits until it answers there itself; its admin token stays in its environment on the target.
   */
  private async startRouter(
    target: ServingTarget,
    current: DeploymentRecord,
    backends: Backend[],
    options: OperationOptions,
  ): Promise<{ handle: Record<string, string | number>; endpoint: string }> {
    const adminToken = randomBytes(24).toString('hex');
    options.onProgress?.({ step: 'start', message: `Starting the router for ${current.name} at ${current.endpoint}` });
    const spec = await servedSpecFor(
      this.options,
      target.name,
      {
        name: routerName(current.name),
        modelName: current.modelName,
        modelRef: current.modelRef,
        plainHttp: current.plainHttp,
      },
      { group: current.name, router: { routes: backends.map(routeOf), adminToken, joinPort: true } },
    );
    const instance = await target.deploy(spec, options);
    const endpoint = instance.endpoint ?? current.endpoint ?? '';
    const running = async () => (await target.status(spec.name, instance.handle, options.signal)).state === 'running';
    try {
      await new RouterClient(endpoint, adminToken).waitUntilAnswering(this.healthTimeoutMs, running, options.signal);
    } catch (error) {
      const logTail = await target.logs(spec.name, instance.handle, 40).catch(() => []);
      throw asDeployError(error).withLogTail(logTail);
    }
    return { handle: instance.handle, endpoint };
  }

  private async startInFreeSlot(
    target: ServingTarget,
    current: DeploymentRecord,
    serving: Backend,
    request: CanaryVersion,
    options: OperationOptions,
  ): Promise<DeploymentRecord> {
    const canary = await this.startBackend(
      target,
      current,
      backendFor(current, otherSlot(serving.slot), request, request.percent),
      options,
      request.monitoring,
    );
    const backends = [{ ...serving, weight: 100 - request.percent }, canary];
    try {
      await (await this.router(target, current)).setRoutes(backends.map(routeOf), options.signal);
    } catch (error) {
      await this.remove(target, [canary.instance]);
      throw error;
    }
    return this.options.store.transition(
      current,
      'ready',
      { routing: { backends } },
      `canary ${shortOf(request.modelRef)} at ${request.percent}%`,
    );
  }

  /** Starts one version as a backend on a loopback port and waits until it is ready. */
  private async startBackend(
    target: ServingTarget,
    current: DeploymentRecord,
    backend: Backend,
    options: OperationOptions,
    monitoring = current.monitoring,
  ): Promise<Backend> {
    options.onProgress?.({
      step: 'start',
      message: `Starting ${shortOf(backend.modelRef)} as ${backend.instance} on port ${backend.port}`,
    });
    const spec = await servedSpecFor(
      this.options,
      target.name,
      {
        name: backend.instance,
        modelName: current.modelName,
        modelRef: backend.modelRef,
        ...(backend.modelFile ? { modelFile: backend.modelFile } : {}),
        plainHttp: backend.plainHttp,
        ...(monitoring ? { monitoring } : {}),
      },
      { group: current.name, port: backend.port, bindHost: '127.0.0.1' },
    );
    let handle: Record<string, string | number> | undefined;
    try {
      const instance = await target.deploy(spec, options);
      handle = instance.handle;
      options.onProgress?.({ step: 'health', message: `Waiting for ${backend.instance} to load its model` });
      await waitUntilReady(target, backend.instance, instance, {
        timeoutMs: this.healthTimeoutMs,
        pollIntervalMs: this.pollIntervalMs,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      return { ...backend, handle };
    } catch (error) {
      const logTail = await target.logs(backend.instance, handle, 40).catch(() => []);
      await this.remove(target, [backend.instance]);
      throw asDeployError(error).withLogTail(logTail);
    }
  }

  private async router(target: ServingTarget, record: DeploymentRecord, signal?: AbortSignal): Promise<RouterClient> {
    const token = await target.instanceEnvironment(routerName(record.name), ROUTER_ADMIN_TOKEN_ENV, signal);
    if (!token || !record.endpoint) {
      throw new DeployError('not-found', `the router of ${record.name} is not on ${target.name} any more`);
    }
    return new RouterClient(record.endpoint, token);
  }

  private async remove(target: ServingTarget, instances: string[]): Promise<void> {
    for (const instance of instances) await target.undeploy(instance, undefined).catch(() => undefined);
  }

  private routed(
    targetName: string,
    name: string,
    action: string,
  ): { current: DeploymentRecord; stable: Backend; canary: Backend } {
    const current = this.current(targetName, name);
    const [stable, canary] = current.routing?.backends ?? [];
    if (!stable || !canary) throw new DeployError('invalid-request', `${name} has no canary to ${action}`);
    return { current, stable, canary };
  }

  /** Gives the canary `percent` of the requests (0–100) and the serving version the rest. */
  setSplit(
    targetName: string,
    name: string,
    percent: number,
    options: OperationOptions = {},
  ): Promise<DeploymentRecord> {
    return this.audited('split', targetName, name, { percent }, async () => {
      if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
        throw new DeployError('invalid-request', `a split is a whole percent from 0 to 100, not ${percent}`);
      }
      const target = this.target(targetName);
      const { current, stable, canary } = this.routed(targetName, name, 'split traffic with');
      const backends = [
        { ...stable, weight: 100 - percent },
        { ...canary, weight: percent },
      ];
      await (await this.router(target, current, options.signal)).setRoutes(backends.map(routeOf), options.signal);
      return this.options.store.transition(current, 'ready', { routing: { backends } }, `canary at ${percent}%`);
    });
  }

  /** Sends every request to the canary, then stops the version that served before. */
  promote(targetName: string, name: string, options: OperationOptions = {}): Promise<DeploymentRecord> {
    return this.audited('promote', targetName, name, {}, async () => {
      const target = this.target(targetName);
      const { current, stable, canary } = this.routed(targetName, name, 'promote');
      await this.keepOnly(target, current, { ...canary, weight: 100 }, stable, options);
      const now = new Date().toISOString();
      const record = await this.options.store.save({
        ...current,
        id: this.options.store.newId(),
        modelRef: canary.modelRef,
        digest: canary.digest,
        plainHttp: canary.plainHttp,
        ...(canary.modelFile ? { modelFile: canary.modelFile } : { modelFile: undefined }),
        labels: canary.labels,
        status: 'ready',
        routing: { backends: [{ ...canary, weight: 100 }] },
        createdAt: now,
        updatedAt: now,
        events: [{ at: now, status: 'ready', detail: `promoted from canary of ${current.id}` }],
      });
      await this.options.store.transition(current, 'replaced', {}, `canary promoted in ${record.id}`);
      return record;
    });
  }

  /** Sends every request back to the serving version, then stops the canary. */
  rollback(targetName: string, name: string, options: OperationOptions = {}): Promise<DeploymentRecord> {
    return this.audited('rollback', targetName, name, {}, async () => {
      const target = this.target(targetName);
      const { current, stable, canary } = this.routed(targetName, name, 'roll back');
      await this.keepOnly(target, current, { ...stable, weight: 100 }, canary, options);
      return this.options.store.transition(
        current,
        'ready',
        { routing: { backends: [{ ...stable, weight: 100 }] } },
        `canary ${shortOf(canary.modelRef)} rolled back`,
      );
    });
  }

  /** Routes everything to `keep`, waits for `drop` to answer what it has in flight, then stops it. */
  private async keepOnly(
    target: ServingTarget,
    current: DeploymentRecord,
    keep: Backend,
    drop: Backend,
    options: OperationOptions,
  ): Promise<void> {
    const router = await this.router(target, current, options.signal);
    await router.setRoutes([routeOf(keep)], options.signal);
    await router.waitUntilDrained(backendUrl(drop.port), this.drainTimeoutMs, options.signal);
    options.onProgress?.({ step: 'stop-previous', message: `Stopping ${drop.instance}` });
    await target.undeploy(drop.instance, drop.handle, options.signal);
  }

  /** The recorded split of a deployment and its router's live counts (null per backend when the router cannot be asked). */
  async split(targetName: string, name: string, signal?: AbortSignal): Promise<TrafficSplit> {
    const target = this.target(targetName);
    const record = this.current(targetName, name);
    const backends = record.routing?.backends ?? [];
    let live: RouteState[] = [];
    if (backends.length > 0) {
      live = await this.router(target, record, signal)
        .then((router) => router.routes(signal))
        .then((table) => table.routes)
        .catch(() => []);
    }
    return {
      record,
      backends: backends.map((b) => ({ ...b, live: live.find((r) => r.url === backendUrl(b.port)) ?? null })),
    };
  }
}
