import * as vscode from 'vscode';
import { z } from 'zod';
import { DeploymentRecordSchema, type DeploymentRecord } from '../core/deploy/records';
import { isRunId } from '../core/runs/run-id';

/**
 * The one table of what commands are given. VS Code passes a command the tree node it was invoked
 * on (then the whole multi-selection), a file's Uri, or what another command, a CodeLens, a
 * notification or a webview put in `arguments`. Each kind of argument has one schema here, and
 * commands read their arguments only through these decoders: a value that fits no schema is
 * ignored, never cast.
 */

const RunId = z.string().refine(isRunId);
/** A run row of the Experiments view, or `{ runId }` from a CodeLens, the lineage panel, a sweep… */
const RunNode = z.union([z.object({ runId: RunId }), z.object({ run: z.object({ id: RunId }) })]);
const ModelVersion = z.object({ name: z.string().min(1), version: z.number().int().positive() });
/** Nodes of the Models and Deployments views name the workspace folder they belong to. */
const FolderRoot = z.object({ root: z.string().min(1) });
const PushNode = z.object({ push: z.object({ reference: z.string().includes('@sha256:') }) });
const RequestDocument = z.object({ requestDocument: z.string().min(1) });
/** A saved drift report, workspace-relative under .trackside/drift/ (from a drift warning). */
const DriftReportArg = z.object({ report: z.string().regex(/^\.trackside\/drift\/[^/\\]+\.json$/) });
const Experiment = z.union([
  z.object({ kind: z.literal('experiment'), name: z.string() }),
  z.object({ kind: z.literal('run'), run: z.object({ experiment: z.string() }) }),
]);

function first<T>(args: readonly unknown[], decode: (value: unknown) => T | undefined): T | undefined {
  for (const value of args) {
    const decoded = decode(value);
    if (decoded !== undefined) return decoded;
  }
  return undefined;
}

export const CommandArgs = {
  /** Every run the arguments name: ids, lists of them, run nodes (the clicked one and the selection). */
  runIds(args: readonly unknown[]): string[] {
    const ids: string[] = [];
    const visit = (value: unknown): void => {
      if (Array.isArray(value)) return value.forEach(visit);
      const id = RunId.safeParse(value);
      if (id.success) return void ids.push(id.data);
      const node = RunNode.safeParse(value);
      if (node.success) ids.push('runId' in node.data ? node.data.runId : node.data.run.id);
    };
    args.forEach(visit);
    return [...new Set(ids)];
  },

  runId(args: readonly unknown[]): string | undefined {
    return CommandArgs.runIds(args)[0];
  },

  modelVersion(args: readonly unknown[]): { name: string; version: number } | undefined {
    return first(args, (value) => {
      const parsed = ModelVersion.safeParse(value);
      return parsed.success ? { name: parsed.data.name, version: parsed.data.version } : undefined;
    });
  },

  /** The workspace folder a Models or Deployments view node belongs to. */
  folderRoot(args: readonly unknown[]): string | undefined {
    return first(args, (value) => FolderRoot.safeParse(value).data?.root);
  },

  /** A file or folder (the Explorer's context menu, an editor's title). */
  file(args: readonly unknown[]): vscode.Uri | undefined {
    return first(args, (value) => (value instanceof vscode.Uri && value.scheme === 'file' ? value : undefined));
  },

  /** A deployment: a Deployments view node carries its record; another command may pass the record. */
  deployment(args: readonly unknown[]): DeploymentRecord | undefined {
    return first(args, (value) => {
      const candidate = value && typeof value === 'object' && 'record' in value ? value.record : value;
      return DeploymentRecordSchema.safeParse(candidate).data;
    });
  },

  /** `registry/repository@sha256:…` from a push node, or given as is. */
  pushReference(args: readonly unknown[]): string | undefined {
    return first(args, (value) =>
      typeof value === 'string' && value.includes('@sha256:') ? value : PushNode.safeParse(value).data?.push.reference,
    );
  },

  /** The saved drift report a drift warning passes on. */
  driftReport(args: readonly unknown[]): string | undefined {
    return first(args, (value) => DriftReportArg.safeParse(value).data?.report);
  },

  /** The untitled test-request document a CodeLens of it sends. */
  requestDocument(args: readonly unknown[]): string | undefined {
    return first(args, (value) => RequestDocument.safeParse(value).data?.requestDocument);
  },

  /** The experiment of an experiment or run node. */
  experiment(args: readonly unknown[]): string | undefined {
    return first(args, (value) => {
      const parsed = Experiment.safeParse(value);
      if (!parsed.success) return undefined;
      return parsed.data.kind === 'experiment' ? parsed.data.name : parsed.data.run.experiment;
    });
  },

  /** A command line prepared by another command ("Run with Parameters…" → Queue). */
  commandLine(value: unknown): string[] | undefined {
    return z.array(z.string().min(1)).min(1).safeParse(value).data;
  },
};
