/**
 * The lineage graph: what was made from what. Edges point downstream, from a thing to what was made
 * from it (data → run that used it → model version it registered → push → deployment), so
 * "upstream" of a node is everything it came from and "downstream" everything it fed.
 */

export type LineageNodeKind = 'data' | 'commit' | 'run' | 'model-version' | 'push' | 'deployment';
export type LineageEdgeKind =
  | 'used'
  | 'produced'
  | 'registered-as'
  | 'pushed-as'
  | 'deployed-as'
  | 'derived-from'
  | 'retrained-from'
  | 'drift-checked'
  | 'retrained';

interface NodeBase {
  id: string;
  label: string;
}

export interface DataNode extends NodeBase {
  kind: 'data';
  /** Content hash; null for an artifact logged without one (then the node stands for its path). */
  sha256: string | null;
  /** Every workspace-relative (or absolute) path this content was logged under, newest last. */
  paths: string[];
  artifactKind: 'dataset' | 'model' | 'file';
  size: number | null;
}

export interface CommitNode extends NodeBase {
  kind: 'commit';
  commit: string;
}

export interface RunNode extends NodeBase {
  kind: 'run';
  runId: string;
  experiment: string;
  status: string;
  createdAt: string;
  gitDirty: boolean | null;
}

export interface ModelVersionNode extends NodeBase {
  kind: 'model-version';
  name: string;
  version: number;
  aliases: string[];
  sha256: string | null;
  artifactPath: string;
  runId: string;
}

export interface PushNode extends NodeBase {
  kind: 'push';
  digest: string;
  reference: string;
}

export interface DeploymentNode extends NodeBase {
  kind: 'deployment';
  deploymentId: string;
  target: string;
  status: string;
  endpoint: string | null;
}

/** A drift report of a deployment that asked for a retrain (saved as JSON in the workspace). */
export interface DriftReportNode extends NodeBase {
  kind: 'drift-report';
  /** Workspace-relative path of the report. */
  path: string;
  deploymentId: string | null;
}

export type LineageNode =
  DataNode | CommitNode | RunNode | ModelVersionNode | PushNode | DeploymentNode | DriftReportNode;

export interface LineageEdge {
  from: string;
  to: string;
  kind: LineageEdgeKind;
}

export const nodeId = {
  data: (sha256: string) => `data:${sha256}`,
  dataByPath: (path: string) => `data-path:${path}`,
  commit: (sha: string) => `commit:${sha}`,
  run: (runId: string) => `run:${runId}`,
  modelVersion: (name: string, version: number) => `model:${name}@${version}`,
  push: (digest: string) => `push:${digest}`,
  deployment: (id: string) => `deployment:${id}`,
  driftReport: (path: string) => `drift:${path}`,
};

export interface Subgraph {
  nodes: LineageNode[];
  edges: LineageEdge[];
}

/** Nodes and both adjacency lists in memory: traversals are plain breadth-first searches over arrays. */
export class LineageGraph {
  private readonly nodesById = new Map<string, LineageNode>();
  private readonly outgoing = new Map<string, LineageEdge[]>();
  private readonly incoming = new Map<string, LineageEdge[]>();
  private edges = 0;

  get size(): number {
    return this.nodesById.size;
  }

  get edgeCount(): number {
    return this.edges;
  }

  addNode(node: LineageNode): LineageNode {
    const existing = this.nodesById.get(node.id);
    if (existing) return existing;
    this.nodesById.set(node.id, node);
    return node;
  }

  node(id: string): LineageNode | undefined {
    return this.nodesById.get(id);
  }

  nodes(): IterableIterator<LineageNode> {
    return this.nodesById.values();
  }

  /** Adds an edge once; both ends must already be nodes. */
  addEdge(from: string, to: string, kind: LineageEdgeKind): void {
    if (from === to || !this.nodesById.has(from) || !this.nodesById.has(to)) return;
    // Out-degrees are small (a commit feeds a few dozen runs at most): a scan beats a key per edge.
    const out = this.outgoing.get(from);
    if (out?.some((e) => e.to === to && e.kind === kind)) return;
    const edge = { from, to, kind };
    if (out) out.push(edge);
    else this.outgoing.set(from, [edge]);
    push(this.incoming, to, edge);
    this.edges++;
  }

  /** Ids of every node `id` was made from, transitively (not including `id`). */
  upstream(id: string): Set<string> {
    return this.walk(id, this.incoming, (e) => e.from);
  }

  /** Ids of every node made from `id`, transitively (not including `id`). */
  downstream(id: string): Set<string> {
    return this.walk(id, this.outgoing, (e) => e.to);
  }

  /**
   * What a lineage view of `focus` shows: everything upstream and downstream of it, plus the direct
   * inputs of what is downstream (a run's other data files and its commit), so each run reads whole.
   */
  lineageOf(focus: readonly string[]): Subgraph {
    const keep = new Set<string>();
    for (const id of focus) {
      if (!this.nodesById.has(id)) continue;
      keep.add(id);
      for (const up of this.upstream(id)) keep.add(up);
      for (const down of this.downstream(id)) {
        keep.add(down);
        for (const edge of this.incoming.get(down) ?? []) keep.add(edge.from);
      }
    }
    return this.subgraph(keep);
  }

  subgraph(ids: Iterable<string>): Subgraph {
    const keep = new Set(ids);
    const nodes: LineageNode[] = [];
    const edges: LineageEdge[] = [];
    for (const id of keep) {
      const node = this.nodesById.get(id);
      if (!node) continue;
      nodes.push(node);
      for (const edge of this.outgoing.get(id) ?? []) if (keep.has(edge.to)) edges.push(edge);
    }
    return { nodes, edges };
  }

  private walk(start: string, adjacency: Map<string, LineageEdge[]>, next: (e: LineageEdge) => string): Set<string> {
    const seen = new Set<string>();
    const queue = [start];
    for (let i = 0; i < queue.length; i++) {
      for (const edge of adjacency.get(queue[i]!) ?? []) {
        const id = next(edge);
        if (id === start || seen.has(id)) continue;
        seen.add(id);
        queue.push(id);
      }
    }
    return seen;
  }
}

function push(map: Map<string, LineageEdge[]>, key: string, edge: LineageEdge): void {
  const list = map.get(key);
  if (list) list.push(edge);
  else map.set(key, [edge]);
}
