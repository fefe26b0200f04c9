import { z } from 'zod';
import { ModelRefStringSchema } from './model-ref';

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
  name: z.string().min(1),
  target: z.string().min(1),
  targetKind: z.enum(['podman', 'ssh', 'kserve']),
  modelName: z.string().min(1),
  modelRef: ModelRefStringSchema,
  digest: z.string(),
  modelFile: z.string().optional(),
  plainHttp: z.boolean(),
  status: DeploymentStatusSchema,
  endpoint: z.string().optional(),
  handle: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
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

/** Statuses in which something may be running on the target. */
export function isActive(status: DeploymentStatus): boolean {
  return status === 'deploying' || status === 'ready' || status === 'written';
}
