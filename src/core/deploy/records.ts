import { z } from 'zod';
import { ModelRefStringSchema } from './model-ref';

/**
 * What a deployment's name and its instances' names may be, when read back from disk: a DNS label
 * (as DeploymentNameSchema asks when one is created), an instance adding `.a`, `.b` or `.router`. A record
 * file can come from someone else's repository, and targets build folder and pod names from these.
 */
export const INSTANCE_NAME = /^[a-z0-9]([a-z0-9-]{0,46}[a-z0-9])?(\.(a|b|router))?$/;
const InstanceNameSchema = z.string().regex(INSTANCE_NAME, 'not a deployment name (a DNS label)');

export const DEPLOYMENTS_DIR = 'deployments';

export const DeploymentStatusSchema = z.enum([
  /** Started; the target is creating it or the health check is waiting. */
  'deploying',
  /** Serving and healthy when last checked. */
  'ready',
  /** Manifests written for a target the user applies (or applied without a readiness signal). */
  'written',
  /** Did not become ready; everything it created was removed. */
  'failed',
  /** Stopped because a newer version took its name; rollback deploys it again. */
  'replaced',
  /** Stopped by the user. */
  'undeployed',
]);
export type DeploymentStatus = z.infer<typeof DeploymentStatusSchema>;

export const DeploymentErrorSchema = z.object({
  reason: z.string(),
  message: z.string(),
  nextStep: z.string(),
  logTail: z.array(z.string()),
});
export type DeploymentErrorInfo = z.infer<typeof DeploymentErrorSchema>;

/** What a deployment asked of its prediction log (serve.py's defaults stand for what is not said). */
export const MonitoringSettingsSchema = z.object({
  sampleRate: z.number().min(0).max(1).optional(),
  logMaxBytes: z.number().int().min(1024).optional(),
  logFiles: z.number().int().min(1).max(100).optional(),
});
export type MonitoringSettings = z.infer<typeof MonitoringSettingsSchema>;

const HandleSchema = z.record(z.string(), z.union([z.string(), z.number()]));

/** One version behind a deployment's router: the instance serving it, where, and its share of requests. */
export const BackendSchema = z.object({
  /** `a` or `b`: a canary takes the slot the serving version does not use. */
  slot: z.enum(['a', 'b']),
  /** The target-level name of the instance (`<name>.<slot>`). */
  instance: InstanceNameSchema,
  modelRef: ModelRefStringSchema,
  digest: z.string(),
  modelFile: z.string().optional(),
  plainHttp: z.boolean(),
  labels: z.record(z.string(), z.string()).optional(),
  /** The loopback port it listens on, which the router forwards to. */
  port: z.number().int().min(1).max(65535),
  /** Percent of requests, 0–100; the backends' weights add up to 100. */
  weight: z.number().int().min(0).max(100),
  handle: HandleSchema.optional(),
});
export type Backend = z.infer<typeof BackendSchema>;

export const DeploymentEventSchema = z.object({
  at: z.string(),
  status: DeploymentStatusSchema,
  detail: z.string().optional(),
});

/**
 * One attempt to serve one model version under a name on a target. A name's history is its
 * records in id (time) order; the newest `ready` one is what serves now. Plain data, one JSON
 * file per record under `.trackside/deployments/`, so records survive restarts and merge cleanly.
 */
export const DeploymentRecordSchema = z.object({
  id: z.string().min(1),
  name: InstanceNameSchema,
  target: z.string().min(1),
  targetKind: z.enum(['podman', 'ssh', 'kserve']),
  modelName: z.string().min(1),
  modelRef: ModelRefStringSchema,
  digest: z.string(),
  modelFile: z.string().optional(),
  plainHttp: z.boolean(),
  status: DeploymentStatusSchema,
  endpoint: z.string().optional(),
  handle: HandleSchema.optional(),
  /**
   * The target-level name of what answers at the endpoint, when it is not `name`: the router
   * (`<name>.router`) of a deployment that splits traffic. Names never hold a dot, so these never collide.
   */
  instance: InstanceNameSchema.optional(),
  /** Set when a router serves the name: the versions behind it (the record's own version among them). */
  routing: z.object({ backends: z.array(BackendSchema).min(1).max(2) }).optional(),
  monitoring: MonitoringSettingsSchema.optional(),
  error: DeploymentErrorSchema.optional(),
  /** The record whose version this one replaced by rolling back. */
  rolledBackFrom: z.string().optional(),
  /** Free-form lineage links (push id, model version) the caller attaches. */
  labels: z.record(z.string(), z.string()).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  events: z.array(DeploymentEventSchema),
});
export type DeploymentRecord = z.infer<typeof DeploymentRecordSchema>;

/** A target-level instance: the name the target knows it by, and where to find it. */
export interface RecordInstance {
  name: string;
  handle?: Record<string, string | number>;
}

/** What answers at a record's endpoint: its router, or the one model server. */
export function frontInstance(record: DeploymentRecord): RecordInstance {
  return { name: record.instance ?? record.name, ...(record.handle ? { handle: record.handle } : {}) };
}

/** Everything a record may have running: the front instance and, behind a router, each backend. */
export function recordInstances(record: DeploymentRecord): RecordInstance[] {
  const backends = (record.routing?.backends ?? []).map((b) => ({
    name: b.instance,
    ...(b.handle ? { handle: b.handle } : {}),
  }));
  return [frontInstance(record), ...backends];
}

/** Statuses in which something may be running on the target. */
export function isActive(status: DeploymentStatus): boolean {
  return status === 'deploying' || status === 'ready' || status === 'written';
}
