import { z } from 'zod';

/**
 * The run-folder protocol: the files under `.trackside/runs/<runId>/` and the schema of each.
 * The folder is the truth; the SQLite index is rebuilt from it. Every file carries a `version`
 * so readers can refuse (with a clear message) files written by a newer Trackside.
 */

import { PROTOCOL_VERSION } from './folder-layout';

export { PROTOCOL_VERSION, RUNS_DIR, RunFile, TRACKSIDE_DIR } from './folder-layout';

export const GitInfoSchema = z.object({
  commit: z.string().nullable(),
  branch: z.string().nullable(),
  dirty: z.boolean(),
  remote: z.string().nullable(),
  untracked: z.array(z.string()).default([]),
});
export type GitInfo = z.infer<typeof GitInfoSchema>;

export const EnvironmentSchema = z.object({
  os: z.string(),
  platform: z.string(),
  arch: z.string(),
  hostname: z.string(),
  node: z.string().nullable(),
  interpreter: z.string().nullable(),
  interpreterVersion: z.string().nullable(),
  packages: z.record(z.string(), z.string()).default({}),
});
export type Environment = z.infer<typeof EnvironmentSchema>;

export const ParamValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export type ParamValue = z.infer<typeof ParamValueSchema>;

export const RunInfoSchema = z.object({
  version: z.literal(PROTOCOL_VERSION),
  id: z.string().min(1),
  experiment: z.string().min(1),
  name: z.string().min(1),
  argv: z.array(z.string()),
  cwd: z.string(),
  script: z.string().nullable(),
  createdAt: z.string(),
  git: GitInfoSchema.nullable(),
  environment: EnvironmentSchema,
  params: z.record(z.string(), ParamValueSchema).default({}),
  parentRunId: z.string().nullable().default(null),
  /** Where it ran: `local`, or a cluster description filled by the Slurm launcher. */
  placement: z
    .object({
      kind: z.enum(['local', 'slurm']),
      jobId: z.string().nullable().default(null),
      node: z.string().nullable().default(null),
    })
    .default({ kind: 'local', jobId: null, node: null }),
});
export type RunInfo = z.infer<typeof RunInfoSchema>;

export const RunStatusValue = z.enum(['queued', 'pending', 'running', 'finished', 'failed', 'killed']);
export type RunStatusValue = z.infer<typeof RunStatusValue>;

export const RunStatusSchema = z.object({
  version: z.literal(PROTOCOL_VERSION),
  status: RunStatusValue,
  /** The training command's pid (its process group). */
  pid: z.number().int().nullable(),
  /**
   * The launcher's own pid. Stopping a run signals it, so the run is recorded as stopped on
   * request and the launcher forwards the signal to the whole process tree.
   */
  runnerPid: z.number().int().nullable().optional(),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable().default(null),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  message: z.string().nullable().default(null),
});
export type RunStatus = z.infer<typeof RunStatusSchema>;

/**
 * Numbers in events may be NaN or ±Infinity, which JSON cannot carry: clients write them as the
 * strings "NaN", "Infinity" and "-Infinity".
 */
export const EventNumberSchema = z.union([
  z.number(),
  z.literal('NaN').transform(() => Number.NaN),
  z.literal('Infinity').transform(() => Number.POSITIVE_INFINITY),
  z.literal('-Infinity').transform(() => Number.NEGATIVE_INFINITY),
]);

export const MetricEventSchema = z.object({
  type: z.literal('metric'),
  key: z.string().min(1).max(250),
  value: EventNumberSchema,
  step: z.number().int().nullable().optional(),
  ts: z.number(),
  /** `stdout` when the launcher parsed the value from the script's output; absent when a client logged it. */
  source: z.enum(['client', 'stdout']).optional(),
  /**
   * The name as the script printed it, when the key normalises it (`Validation score` for the key
   * `validation_score`). Optional, so older readers, which drop fields they do not know, read the
   * same point.
   */
  label: z.string().min(1).max(250).optional(),
});
export const ParamsEventSchema = z.object({
  type: z.literal('params'),
  values: z.record(z.string(), ParamValueSchema),
  ts: z.number().optional(),
});
export const TagEventSchema = z.object({
  type: z.literal('tag'),
  key: z.string().min(1),
  value: z.string(),
  ts: z.number().optional(),
});
export const ArtifactRole = z.enum(['input', 'output']);
export const ArtifactKind = z.enum(['model', 'dataset', 'file']);
export const ArtifactEventSchema = z.object({
  type: z.literal('artifact'),
  path: z.string().min(1),
  role: ArtifactRole,
  kind: ArtifactKind,
  name: z.string().optional(),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  size: z.number().int().nonnegative().optional(),
  ts: z.number().optional(),
});

export const RunEventSchema = z.discriminatedUnion('type', [
  MetricEventSchema,
  ParamsEventSchema,
  TagEventSchema,
  ArtifactEventSchema,
]);
export type RunEvent = z.infer<typeof RunEventSchema>;
export type MetricEvent = z.infer<typeof MetricEventSchema>;
export type ArtifactEvent = z.infer<typeof ArtifactEventSchema>;
