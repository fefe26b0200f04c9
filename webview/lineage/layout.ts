import * as dagre from '@dagrejs/dagre';
import type { LineageEdgeView, LineageNodeView } from '../../src/protocol/lineage';

export const NODE_WIDTH = 220;
export const NODE_HEIGHT = 60;

export interface PlacedNode {
  node: LineageNodeView;
  /** Top-left corner. */
  x: number;
  y: number;
}

export interface PlacedEdge {
  edge: LineageEdgeView;
  points: { x: number; y: number }[];
}

export interface GraphLayout {
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  width: number;
  height: number;
}

/**
 * A layered left-to-right layout (dagre's network-simplex ranking): upstream on the left, what was
 * made from it on the right, so data → run → model version → push → deployment reads as a line.
 */
export function layoutLineage(nodes: readonly LineageNodeView[], edges: readonly LineageEdgeView[]): GraphLayout {
  const graph = new dagre.graphlib.Graph({ multigraph: true });
  graph.setGraph({ rankdir: 'LR', nodesep: 22, ranksep: 80, edgesep: 12, marginx: 24, marginy: 24 });
  graph.setDefaultEdgeLabel(() => ({}));
  const byId = new Map<string, LineageNodeView>();
  for (const node of nodes) {
    byId.set(node.id, node);
    graph.setNode(node.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  }
  edges.forEach((edge, i) => {
    if (byId.has(edge.from) && byId.has(edge.to)) graph.setEdge(edge.from, edge.to, {}, `${edge.kind}:${i}`);
  });
  dagre.layout(graph);
  const placed: PlacedNode[] = [];
  for (const id of graph.nodes()) {
    const position = graph.node(id);
    const node = byId.get(id);
    if (node) placed.push({ node, x: position.x - NODE_WIDTH / 2, y: position.y - NODE_HEIGHT / 2 });
  }
  const placedEdges: PlacedEdge[] = [];
  for (const e of graph.edges()) {
    const kind = (e.name ?? '').split(':')[0] as LineageEdgeView['kind'];
    placedEdges.push({ edge: { from: e.v, to: e.w, kind }, points: graph.edge(e).points ?? [] });
  }
  const label = graph.graph();
  return { nodes: placed, edges: placedEdges, width: label.width ?? 0, height: label.height ?? 0 };
}

/** A smooth path through dagre's edge points (a Catmull-Rom spline as cubic Béziers). */
export function edgePath(points: readonly { x: number; y: number }[]): string {
  if (points.length === 0) return '';
  const [first] = points;
  let d = `M${first!.x.toFixed(1)},${first!.y.toFixed(1)}`;
  for (let i = 0; i < points.length - 1; i++) {
    const p0 = points[i - 1] ?? points[i]!;
    const p1 = points[i]!;
    const p2 = points[i + 1]!;
    const p3 = points[i + 2] ?? p2;
    const c1 = { x: p1.x + (p2.x - p0.x) / 6, y: p1.y + (p2.y - p0.y) / 6 };
    const c2 = { x: p2.x - (p3.x - p1.x) / 6, y: p2.y - (p3.y - p1.y) / 6 };
    d += ` C${c1.x.toFixed(1)},${c1.y.toFixed(1)} ${c2.x.toFixed(1)},${c2.y.toFixed(1)} ${p2.x.toFixed(1)},${p2.y.toFixed(1)}`;
  }
  return d;
}
