import { isAbsolute, relative, sep } from 'node:path';
import { hashPathCached } from '../hashing/hash-cache';
import type { DeploymentNode, LineageGraph, LineageNode, ModelVersionNode, RunNode } from './graph';

export interface ImpactReport {
  /** The file as the runs logged it (workspace-relative with `/`, or absolute). */
  path: string;
  /** Its content hash now, or null when it no longer exists. */
  currentSha256: string | null;
  /** The contents of the file the runs used, and whether each is the current one. */
  versionsUsed: { sha256: string | null; current: boolean }[];
  runs: RunNode[];
  modelVersions: ModelVersionNode[];
  deployments: DeploymentNode[];
  /** Ids of the data (or model) nodes the search started from: the lineage panel focuses them. */
  sources: string[];
}

export function workspaceRelativePath(workspaceRoot: string, absolutePath: string): string {
  const rel = relative(workspaceRoot, absolutePath);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return absolutePath;
  return rel.split(sep).join('/');
}

/**
 * Everything downstream of a file: the runs that used any version of it (or its current content
 * under another name), and the model versions and deployments they led to.
 */
export async function findImpact(
  graph: LineageGraph,
  workspaceRoot: string,
  absolutePath: string,
): Promise<ImpactReport> {
  const path = workspaceRelativePath(workspaceRoot, absolutePath);
  let currentSha256: string | null = null;
  try {
    currentSha256 = (await hashPathCached(workspaceRoot, absolutePath)).sha256;
  } catch {
    // The file is gone: its history still counts.
  }
  const sources: LineageNode[] = [];
  for (const node of graph.nodes()) {
    if (node.kind === 'data' && (node.paths.includes(path) || (currentSha256 && node.sha256 === currentSha256))) {
      sources.push(node);
    } else if (
      node.kind === 'model-version' &&
      (node.artifactPath === path || (currentSha256 && node.sha256 === currentSha256))
    ) {
      sources.push(node);
    }
  }
  const reached = new Set<string>();
  for (const source of sources) for (const id of graph.downstream(source.id)) reached.add(id);
  const downstream = [...reached].map((id) => graph.node(id)).filter((n): n is LineageNode => n !== undefined);
  const byCreated = (a: RunNode, b: RunNode) => a.createdAt.localeCompare(b.createdAt);
  return {
    path,
    currentSha256,
    versionsUsed: sources
      .filter((s) => s.kind === 'data')
      .map((s) => ({ sha256: s.sha256, current: s.sha256 !== null && s.sha256 === currentSha256 })),
    runs: downstream.filter((n): n is RunNode => n.kind === 'run').sort(byCreated),
    // A version whose artifact is this file is where the search started, not something trained on it.
    modelVersions: downstream.filter((n): n is ModelVersionNode => n.kind === 'model-version'),
    deployments: downstream.filter((n): n is DeploymentNode => n.kind === 'deployment'),
    sources: sources.map((s) => s.id),
  };
}
