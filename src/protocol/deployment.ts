import { z } from 'zod';
import type { DeploymentStatus } from '../core/deploy/records';
import type { MetricsWindow } from '../core/monitoring/metrics';
import type { DriftReport } from '../core/monitoring/report';

/**
 * Messages of the Deployment panel (one deployed model's traffic and drift), both ways. Host and
 * webview import this file; every message is parsed with these schemas on arrival, so one that does
 * not fit is rejected and logged, never trusted.
 */

export const DEPLOYMENT_VIEW_TYPE = 'trackside.deployment';

/** How far back a drift report looks: `30m`, `6h`, `2d`; null for the whole prediction log. */
export const DriftSinceSchema = z
  .string()
  .regex(/^[1-9]\d{0,3}[mhd]$/)
  .nullable();
export type DriftSince = z.infer<typeof DriftSinceSchema>;

/** The choices the panel offers; the protocol takes any duration of the same form. */
export const DRIFT_SINCE_CHOICES: readonly Exclude<DriftSince, null>[] = ['1h', '6h', '24h'];

const UNIT_SECONDS = { m: 60, h: 3600, d: 86_400 } as const;

/** A `since` duration in seconds (`6h` → 21600); null stays null. */
export function durationSeconds(since: DriftSince): number | null {
  if (since === null) return null;
  const unit = since.slice(-1) as keyof typeof UNIT_SECONDS;
  return Number(since.slice(0, -1)) * UNIT_SECONDS[unit];
}

// ---- webview → host -------------------------------------------------------------------------------

export const DeploymentCommandSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ready') }),
  /** Computes the drift report again, over requests of the last `since` (or all of them). */
  z.strictObject({ type: z.literal('refreshDrift'), since: DriftSinceSchema }),
  /** Opens the reference CSV of the last report in the editor. */
  z.strictObject({ type: z.literal('openReference') }),
  z.strictObject({ type: z.literal('retrain') }),
  /** The canary's share of requests in percent; the serving version gets the rest. */
  z.strictObject({ type: z.literal('setSplit'), percent: z.number().int().min(0).max(100) }),
  z.strictObject({ type: z.literal('promote') }),
  z.strictObject({ type: z.literal('rollback') }),
  /** Saves the last drift report as JSON where the user picks. */
  z.strictObject({ type: z.literal('exportReport') }),
]);
export type DeploymentCommand = z.infer<typeof DeploymentCommandSchema>;

// ---- host → webview -------------------------------------------------------------------------------

export const MetricsWindowSchema = z.object({
  model: z.string(),
  /** The model version's digest, as the server labels its metrics. */
  version: z.string(),
  from: z.number(),
  to: z.number(),
  requests: z.number().nonnegative(),
  errors: z.number().nonnegative(),
  requestRate: z.number().nonnegative(),
  errorRate: z.number().min(0).max(1),
  p50: z.number().nonnegative().nullable(),
  p95: z.number().nonnegative().nullable(),
});

const ThresholdsSchema = z.object({
  pValue: z.number(),
  psiWarn: z.number(),
  psiAlert: z.number(),
  datasetShare: z.number(),
});

const HistogramSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('numeric'),
    edges: z.array(z.number()),
    reference: z.array(z.number()),
    live: z.array(z.number()),
  }),
  z.object({
    kind: z.literal('categorical'),
    categories: z.array(z.string()),
    reference: z.array(z.number()),
    live: z.array(z.number()),
  }),
]);

export const FeatureDriftSchema = z.object({
  name: z.string(),
  kind: z.enum(['numeric', 'categorical']),
  referenceCount: z.number(),
  liveCount: z.number(),
  missing: z.object({ reference: z.number(), live: z.number() }),
  test: z.object({
    name: z.enum(['ks', 'chi2']),
    statistic: z.number(),
    pValue: z.number(),
    method: z.enum(['exact', 'asymp']).optional(),
    dof: z.number().optional(),
  }),
  drifted: z.boolean(),
  psi: z.object({
    value: z.number(),
    level: z.enum(['ok', 'warn', 'alert']),
    bins: z.array(z.union([z.number(), z.string()])),
    reference: z.array(z.number()),
    live: z.array(z.number()),
    epsilon: z.number(),
    emptyBins: z.object({ reference: z.array(z.number()), live: z.array(z.number()) }),
  }),
  histogram: HistogramSchema,
});

export const DriftReportSchema = z.object({
  generatedAt: z.string(),
  deployment: z
    .object({ target: z.string(), name: z.string(), modelVersion: z.string().nullable(), runId: z.string().nullable() })
    .nullable(),
  reference: z.object({ path: z.string(), rows: z.number(), changedSinceLogged: z.boolean().nullable() }),
  live: z.object({
    rows: z.number(),
    requests: z.number(),
    malformed: z.number(),
    mismatched: z.number(),
    from: z.string().nullable(),
    to: z.string().nullable(),
    versions: z.record(z.string(), z.number()),
  }),
  features: z.array(FeatureDriftSchema),
  driftedFeatures: z.array(z.string()),
  share: z.number().min(0).max(1),
  datasetDrift: z.boolean(),
  thresholds: ThresholdsSchema,
  warnings: z.array(z.string()),
});

const DeploymentStatusViewSchema = z.enum([
  'deploying',
  'ready',
  'written',
  'failed',
  'replaced',
  'undeployed',
  /** No record of this name on this target any more. */
  'missing',
]);

/** One version behind the router of a split. */
export const SplitBackendSchema = z.object({
  slot: z.enum(['a', 'b']),
  digest: z.string(),
  /** `digits-logreg v4`, or `@<short digest>` for a version without a model-version label. */
  label: z.string(),
  /** Percent of requests as recorded. */
  weight: z.number().int().min(0).max(100),
  /** What the router reports now; null when it could not be asked. */
  live: z
    .object({ weight: z.number(), inflight: z.number().nonnegative(), requests: z.number().nonnegative() })
    .nullable(),
});
export type SplitBackend = z.infer<typeof SplitBackendSchema>;

export const DeploymentViewSchema = z.object({
  name: z.string(),
  target: z.string(),
  status: DeploymentStatusViewSchema,
  endpoint: z.string().nullable(),
  /** The model name in the inference URL (`/v2/models/<modelName>/infer`). */
  modelName: z.string().nullable(),
  /** What answers at the endpoint: `digits-logreg v3`, or `@<short digest>`. */
  version: z.string().nullable(),
  /** Labels of the versions the metrics name by digest (the served one, and each backend's). */
  versionLabels: z.record(z.string(), z.string()),
  /** The versions behind a router, serving version first; null without a canary. */
  split: z.array(SplitBackendSchema).min(2).max(2).nullable(),
  updatedAt: z.string().nullable(),
});
export type DeploymentView = z.infer<typeof DeploymentViewSchema>;

export const DeploymentNotificationSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('deployment'), deployment: DeploymentViewSchema }),
  /** Every window the host keeps, oldest first (a few hundred at most): the charts redraw from it. */
  z.object({ type: z.literal('metrics'), windows: z.array(MetricsWindowSchema).max(20_000) }),
  /** A report was asked for (on open or Refresh) and is being computed. */
  z.object({ type: z.literal('driftPending'), since: DriftSinceSchema }),
  z.object({ type: z.literal('drift'), report: DriftReportSchema, since: DriftSinceSchema }),
  z.object({ type: z.literal('driftError'), message: z.string(), since: DriftSinceSchema }),
]);
export type DeploymentNotification = z.infer<typeof DeploymentNotificationSchema>;

// ---- the schemas describe the core types exactly (checked by the compiler) --------------------------

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _windowFits: Same<z.infer<typeof MetricsWindowSchema>, MetricsWindow> = true;
const _reportFits: Same<z.infer<typeof DriftReportSchema>, DriftReport> = true;
const _statusFits: Same<Exclude<z.infer<typeof DeploymentStatusViewSchema>, 'missing'>, DeploymentStatus> = true;
