import { DeployError } from '../deploy/errors';
import { parseModelRef, shortDigest } from '../deploy/model-ref';
import type { Backend, DeploymentRecord } from '../deploy/records';
import type { RouteSpec } from '../deploy/runtime-command';

/**
 * How a routed deployment's instances are named and where they listen. Deployment names never hold a
 * dot, so `<name>.router`, `<name>.a` and `<name>.b` can never be another deployment's name.
 */

export type Slot = Backend['slot'];

/** One version to serve behind the router: what the record or the canary request says about it. */
export interface BackendVersion {
  modelRef: string;
  modelFile?: string;
  plainHttp: boolean;
  labels?: Record<string, string>;
}

export const routerName = (name: string): string => `${name}.router`;
export const backendUrl = (port: number): string => `http://127.0.0.1:${port}`;
export const otherSlot = (slot: Slot): Slot => (slot === 'a' ? 'b' : 'a');

/** Slot `a` listens on the deployment's port + 1, `b` on + 2, both on loopback. */
export function slotPort(record: DeploymentRecord, slot: Slot): number {
  const port = record.endpoint ? Number(new URL(record.endpoint).port) : Number.NaN;
  if (!Number.isInteger(port) || port <= 0) {
    throw new DeployError('invalid-request', `${record.name} has no endpoint port to put a router on`);
  }
  return port + (slot === 'a' ? 1 : 2);
}

export function backendFor(record: DeploymentRecord, slot: Slot, version: BackendVersion, weight: number): Backend {
  return {
    slot,
    instance: `${record.name}.${slot}`,
    modelRef: version.modelRef,
    digest: parseModelRef(version.modelRef).digest,
    ...(version.modelFile ? { modelFile: version.modelFile } : {}),
    plainHttp: version.plainHttp,
    ...(version.labels ? { labels: version.labels } : {}),
    port: slotPort(record, slot),
    weight,
  };
}

export function routeOf(backend: Backend): RouteSpec {
  return { slot: backend.slot, url: backendUrl(backend.port), version: backend.digest, weight: backend.weight };
}

/** Weight per digest, as the audit log records a split. */
export function splitOf(record: DeploymentRecord): Record<string, number> | undefined {
  const backends = record.routing?.backends;
  return backends ? Object.fromEntries(backends.map((b) => [b.digest, b.weight])) : undefined;
}

export function shortOf(modelRef: string): string {
  return shortDigest(parseModelRef(modelRef).digest);
}
