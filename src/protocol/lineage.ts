import { z } from 'zod';

/**
 * Messages of the Lineage panel, both ways. Host and webview import this file; every message is
 * parsed with these schemas on arrival, so one that does not fit is rejected and logged.
 */

const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/);
const NodeIdSchema = z.string().min(1).max(2000);

const NodeBase = { id: NodeIdSchema, label: z.string() };

export const FreshnessSchema = z.enum(['current', 'stale', 'missing', 'unknown']);

export const LineageNodeSchema = z.discriminatedUnion('kind', [
  z.object({
    ...NodeBase,
    kind: z.literal('data'),
    sha256: Sha256Schema.nullable(),
    paths: z.array(z.string()),
    artifactKind: z.enum(['dataset', 'model', 'file']),
    size: z.number().nullable(),
    /** Whether the file still holds the content the runs used. */
    freshness: FreshnessSchema,
    currentSha256: Sha256Schema.nullable(),
  }),
  z.object({ ...NodeBase, kind: z.literal('commit'), commit: z.string() }),
  z.object({
    ...NodeBase,
    kind: z.literal('run'),
    runId: z.string(),
    experiment: z.string(),
    status: z.string(),
    createdAt: z.string(),
    gitDirty: z.boolean().nullable(),
  }),
  z.object({
    ...NodeBase,
    kind: z.literal('model-version'),
    name: z.string(),
    version: z.number().int(),
    aliases: z.array(z.string()),
    sha256: Sha256Schema.nullable(),
    artifactPath: z.string(),
    runId: z.string(),
  }),
  z.object({ ...NodeBase, kind: z.literal('push'), digest: z.string(), reference: z.string() }),
  z.object({
    ...NodeBase,
    kind: z.literal('deployment'),
    deploymentId: z.string(),
    target: z.string(),
    status: z.string(),
    endpoint: z.string().nullable(),
  }),
  z.object({
    ...NodeBase,
    kind: z.literal('drift-report'),
    path: z.string(),
    deploymentId: z.string().nullable(),
  }),
]);
export type LineageNodeView = z.infer<typeof LineageNodeSchema>;

export const LineageEdgeSchema = z.object({
  from: NodeIdSchema,
  to: NodeIdSchema,
  kind: z.enum([
    'used',
    'produced',
    'registered-as',
    'pushed-as',
    'deployed-as',
    'derived-from',
    'retrained-from',
    'drift-checked',
    'retrained',
  ]),
});
export type LineageEdgeView = z.infer<typeof LineageEdgeSchema>;

// ---- webview → host -------------------------------------------------------------------------------

export const LineageCommandSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('refresh') }),
  z.object({ type: z.literal('openRun'), runId: z.string().min(1).max(200) }),
  z.object({ type: z.literal('revealFile'), path: z.string().min(1).max(4096) }),
  z.object({ type: z.literal('selectModelVersion'), name: z.string().min(1), version: z.number().int().positive() }),
  /** Re-centres the panel on another node (double-click). */
  z.object({ type: z.literal('focus'), nodeId: NodeIdSchema }),
  /** The drawn graph as a standalone SVG document, to be saved where the user picks. */
  z.object({ type: z.literal('exportSvg'), svg: z.string().max(50_000_000) }),
]);
export type LineageCommand = z.infer<typeof LineageCommandSchema>;

// ---- host → webview -------------------------------------------------------------------------------

export const LineageNotificationSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('snapshot'),
    title: z.string(),
    /** The nodes the view is about; drawn highlighted. */
    focus: z.array(NodeIdSchema),
    nodes: z.array(LineageNodeSchema),
    edges: z.array(LineageEdgeSchema),
  }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);
export type LineageNotification = z.infer<typeof LineageNotificationSchema>;
