import { z } from 'zod';

/**
 * Messages of the Compare panel (and its single-run form, the run view), both ways. Host and
 * webview import this file; every message is parsed with these schemas on arrival, so one that
 * does not fit is rejected and logged, never trusted.
 */

const RunIdSchema = z.string().min(1).max(200);
const RunIdsSchema = z.array(RunIdSchema).max(100_000);

export const XAxisSchema = z.enum(['step', 'wall', 'relative']);
export const MetricAggregateSchema = z.enum(['last', 'min', 'max']);
export const MetricDirectionSchema = z.enum(['min', 'max']);

export const ParamCellSchema = z.union([z.string(), z.number(), z.null()]);
/** A param as the user gave it: numbers compare as numbers, booleans and words stay text. */
export type ParamCell = z.infer<typeof ParamCellSchema>;
/** Which summary of a metric a column shows. */
export type MetricAggregate = z.infer<typeof MetricAggregateSchema>;

export const CompareRowSchema = z.object({
  id: RunIdSchema,
  name: z.string(),
  experiment: z.string(),
  status: z.string(),
  createdAt: z.number(),
  durationMs: z.number().nullable(),
  commit: z.string().nullable(),
  branch: z.string().nullable(),
  dirty: z.boolean().nullable(),
  params: z.array(ParamCellSchema),
  metrics: z.array(z.number().nullable()),
});

/**
 * One row per run, params and metric summaries aligned with the table's key lists: `createdAt` in
 * epoch ms, `durationMs` to the end or to now while the run goes on (null when it never started),
 * `params` aligned with `paramKeys` (null where a run has no such param), `metrics` three per
 * metric key (last, min, max).
 */
export type CompareRow = z.infer<typeof CompareRowSchema>;

export const CompareTableSchema = z.object({
  paramKeys: z.array(z.string()),
  metricKeys: z.array(z.string()),
  rows: z.array(CompareRowSchema),
});
export type CompareTable = z.infer<typeof CompareTableSchema>;

export const ColumnSpecSchema = z.object({
  id: z.string().min(1).max(500),
  aggregate: MetricAggregateSchema.optional(),
});
export type ColumnSpec = z.infer<typeof ColumnSpecSchema>;

export const SeriesViewSchema = z.object({
  axis: XAxisSchema,
  smoothing: z.number().min(0).max(0.999),
  maxPoints: z.number().int().min(10).max(5000),
  domain: z.tuple([z.number(), z.number()]).nullable(),
});
export type SeriesViewMessage = z.infer<typeof SeriesViewSchema>;

// ---- webview → host -------------------------------------------------------------------------------

export const CompareCommandSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('refresh') }),
  /** Chart lines for one metric key; the answer is a `series` notification with the same requestId. */
  z.object({
    type: z.literal('requestSeries'),
    requestId: z.number().int().nonnegative(),
    key: z.string().min(1),
    runIds: RunIdsSchema.max(2000),
    view: SeriesViewSchema,
    /** Group runs by this param's value and answer mean ± std bands instead of lines. */
    groupBy: z.string().nullable(),
    /** Keep the chart current while its runs train: new points (lines) or whole new bands (grouped). */
    live: z.boolean(),
  }),
  z.object({ type: z.literal('selectRuns'), runIds: RunIdsSchema }),
  z.object({ type: z.literal('openRun'), runId: RunIdSchema }),
  z.object({ type: z.literal('compareRuns'), runIds: RunIdsSchema.min(1) }),
  z.object({
    type: z.literal('exportTable'),
    format: z.enum(['csv', 'markdown']),
    destination: z.enum(['file', 'clipboard']),
    /** Rows in the order shown. */
    runIds: RunIdsSchema,
    columns: z.array(ColumnSpecSchema).max(10_000),
  }),
  z.object({
    type: z.literal('saveImage'),
    format: z.enum(['png', 'svg']),
    name: z.string().min(1).max(200),
    /** A `data:image/png;base64,` URL for PNG; the SVG document's text for SVG. */
    data: z.string().min(1).max(50_000_000),
  }),
  z.object({
    type: z.literal('saveAnnotations'),
    runId: RunIdSchema,
    tags: z.record(z.string().min(1).max(200), z.string().max(2000)),
    note: z.string().max(100_000),
  }),
  z.object({ type: z.literal('showCodeDiff'), runId: RunIdSchema }),
  z.object({
    type: z.literal('openArtifact'),
    runId: RunIdSchema,
    path: z.string().min(1),
    action: z.enum(['open', 'reveal']),
  }),
  z.object({ type: z.literal('openOutput'), runId: RunIdSchema }),
]);
export type CompareCommand = z.infer<typeof CompareCommandSchema>;

// ---- host → webview -------------------------------------------------------------------------------

export const SeriesLineSchema = z.object({
  runId: RunIdSchema,
  x: z.array(z.number()),
  y: z.array(z.number()),
  /** Points in the shown range before downsampling. */
  total: z.number().int().nonnegative(),
  downsampled: z.boolean(),
});
export type SeriesLine = z.infer<typeof SeriesLineSchema>;

export const BandPointSchema = z.object({
  group: z.string(),
  x: z.number(),
  mean: z.number(),
  lower: z.number(),
  upper: z.number(),
  runs: z.number().int(),
});

export const ArtifactViewSchema = z.object({
  path: z.string(),
  role: z.enum(['input', 'output']),
  kind: z.enum(['model', 'dataset', 'file']),
  name: z.string().nullable(),
  sha256: z.string().nullable(),
  size: z.number().nullable(),
});

export const RunDetailViewSchema = z.object({
  id: RunIdSchema,
  name: z.string(),
  experiment: z.string(),
  status: z.string(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  exitCode: z.number().nullable(),
  message: z.string().nullable(),
  script: z.string().nullable(),
  argv: z.array(z.string()),
  cwd: z.string(),
  hostname: z.string().nullable(),
  interpreter: z.string().nullable(),
  git: z.object({
    commit: z.string().nullable(),
    branch: z.string().nullable(),
    dirty: z.boolean().nullable(),
    remote: z.string().nullable(),
    /** The run folder holds the uncommitted diff it started with. */
    hasPatch: z.boolean(),
  }),
  params: z.array(z.object({ key: z.string(), value: ParamCellSchema })),
  summaries: z.array(
    z.object({
      key: z.string(),
      last: z.number().nullable(),
      min: z.number().nullable(),
      max: z.number().nullable(),
      count: z.number().int(),
      lastStep: z.number().nullable(),
    }),
  ),
  /** Tags the run logged itself (read-only here). */
  loggedTags: z.record(z.string(), z.string()),
  /** Tags and note the user edits, from the run folder's annotations.json. */
  annotations: z.object({
    tags: z.record(z.string(), z.string()),
    note: z.string(),
    updatedAt: z.string().nullable(),
  }),
  artifacts: z.array(ArtifactViewSchema),
  output: z.object({ lines: z.array(z.string()), truncated: z.boolean() }),
  malformedLines: z.number().int().nonnegative(),
});
export type RunDetailView = z.infer<typeof RunDetailViewSchema>;

export const CompareNotificationSchema = z.discriminatedUnion('type', [
  /** The whole table: on open, re-target, and when the set of columns changes. */
  z.object({ type: z.literal('table'), mode: z.enum(['compare', 'run']), table: CompareTableSchema }),
  /** Changed rows (a live run's status, duration or summaries); same columns as the last table. */
  z.object({ type: z.literal('rows'), rows: z.array(CompareRowSchema) }),
  /** The answer to `requestSeries`; for a live grouped chart, sent again with new bands as its runs train. */
  z.object({
    type: z.literal('series'),
    requestId: z.number().int().nonnegative(),
    key: z.string(),
    axis: XAxisSchema,
    lines: z.array(SeriesLineSchema),
    bands: z.array(BandPointSchema).nullable(),
  }),
  /** New points of running runs, appended to the lines of `requestId`. */
  z.object({
    type: z.literal('append'),
    requestId: z.number().int().nonnegative(),
    key: z.string(),
    lines: z.array(z.object({ runId: RunIdSchema, x: z.array(z.number()), y: z.array(z.number()) })),
  }),
  z.object({ type: z.literal('selection'), runIds: RunIdsSchema }),
  z.object({ type: z.literal('runDetail'), run: RunDetailViewSchema }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);
export type CompareNotification = z.infer<typeof CompareNotificationSchema>;

// ---- webview state, kept by VS Code across reloads and read back by the panel serializer -----------

export const CompareViewStateSchema = z.object({
  mode: z.enum(['compare', 'run']),
  runIds: RunIdsSchema,
  /** The comparison a run view was opened from, for "Back to Comparison". */
  previousRunIds: RunIdsSchema,
  sort: z.object({ column: z.string(), direction: z.enum(['asc', 'desc']) }).nullable(),
  textFilter: z.string(),
  expression: z.string(),
  diffOnly: z.boolean(),
  selection: RunIdsSchema,
  pinned: RunIdsSchema,
  hidden: RunIdsSchema,
  /** Shown columns in order; null until the user changes them (then new params/metrics appear by default). */
  columns: z.array(ColumnSpecSchema).nullable(),
  widths: z.record(z.string(), z.number().min(30).max(2000)),
  directions: z.record(z.string(), MetricDirectionSchema),
  tab: z.enum(['table', 'charts', 'params']),
  chart: z.object({
    keys: z.array(z.string()),
    axis: XAxisSchema,
    smoothing: z.number().min(0).max(0.999),
    logScale: z.boolean(),
    groupBy: z.string().nullable(),
  }),
  paramChart: z.object({ metric: z.string().nullable(), scatterParam: z.string().nullable() }),
});
export type CompareViewState = z.infer<typeof CompareViewStateSchema>;

export function defaultViewState(mode: 'compare' | 'run', runIds: string[]): CompareViewState {
  return {
    mode,
    runIds,
    previousRunIds: [],
    sort: null,
    textFilter: '',
    expression: '',
    diffOnly: false,
    selection: [],
    pinned: [],
    hidden: [],
    columns: null,
    widths: {},
    directions: {},
    tab: mode === 'run' ? 'charts' : 'table',
    chart: { keys: [], axis: 'step', smoothing: 0, logScale: false, groupBy: null },
    paramChart: { metric: null, scatterParam: null },
  };
}
