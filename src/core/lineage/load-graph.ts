import { basename } from 'node:path';
import type { DeploymentRecord } from '../deploy/records';
import type { IndexStore } from '../store/database';
import { lineageRows, type LineageArtifactKind } from '../store/lineage';
import { LineageGraph, nodeId, type DataNode, type ModelVersionNode } from './graph';

/** The tag a reproduced run carries, naming the run it reproduces (see src/core/reproduce). */
export const DERIVED_FROM_TAG = 'trackside.derived_from';
/** A run trained again on new data, after a drift report of the original's deployment: the original's id. */
export const RETRAINED_FROM_TAG = 'trackside.retrained_from';
/** The drift report (workspace-relative JSON) that asked for a retrain. */
export const RETRAIN_REPORT_TAG = 'trackside.retrain_report';
/** The deployment record whose drift report asked for a retrain. */
export const RETRAIN_DEPLOYMENT_TAG = 'trackside.retrain_deployment';
/** A deployment record label naming the model version it serves, `name@version`. */
export const DEPLOYMENT_MODEL_VERSION_LABEL = 'trackside.model-version';

/**
 * Builds the whole lineage graph from the index (a handful of queries, each one scan) and the
 * deployment records. Runs and artifacts come in ingest order, so a data node's newest path is its last.
 */
export function loadLineageGraph(store: IndexStore, deployments: readonly DeploymentRecord[] = []): LineageGraph {
  const graph = new LineageGraph();
  const { runs, versions, aliases, artifacts, links, pushes } = lineageRows(store, [
    DERIVED_FROM_TAG,
    RETRAINED_FROM_TAG,
    RETRAIN_REPORT_TAG,
    RETRAIN_DEPLOYMENT_TAG,
  ]);
  const runByPk = new Map<number, { id: string; node: string }>();
  for (const [pk, id, name, experiment, status, createdAt, gitCommit, gitDirty] of runs) {
    const runNode = nodeId.run(id);
    runByPk.set(pk, { id, node: runNode });
    graph.addNode({
      kind: 'run',
      id: runNode,
      label: name,
      runId: id,
      experiment,
      status,
      createdAt,
      gitDirty: gitDirty === null ? null : gitDirty === 1,
    });
    if (gitCommit) {
      const commit = nodeId.commit(gitCommit);
      graph.addNode({ kind: 'commit', id: commit, label: gitCommit.slice(0, 8), commit: gitCommit });
      graph.addEdge(commit, runNode, 'used');
    }
  }

  const versionsBySha = new Map<string, ModelVersionNode[]>();
  const versionsByRunArtifact = new Map<string, ModelVersionNode[]>();
  for (const row of versions) {
    const node = graph.addNode({
      kind: 'model-version',
      id: nodeId.modelVersion(row.name, row.version),
      label: `${row.name} v${row.version}`,
      name: row.name,
      version: row.version,
      aliases: aliases.filter((a) => a.name === row.name && a.version === row.version).map((a) => a.alias),
      sha256: row.sha256,
      artifactPath: row.artifact_path,
      runId: row.run_id,
    }) as ModelVersionNode;
    if (row.sha256) append(versionsBySha, row.sha256, node);
    append(versionsByRunArtifact, `${row.run_id}\u0000${row.artifact_path}`, node);
    // The version exists even when its run's folder is gone; the edge needs the run node.
    graph.addEdge(nodeId.run(row.run_id), node.id, 'registered-as');
  }

  for (const [runPk, path, role, kind, sha256, size] of artifacts) {
    const owner = runByPk.get(runPk);
    if (owner === undefined) continue;
    const { id, node: run } = owner;
    if (role === 'output') {
      // A registered output is shown as its model version, not as a separate file node.
      if (versionsByRunArtifact.has(`${id}\u0000${path}`)) continue;
      graph.addEdge(run, dataNode(graph, path, kind, sha256, size).id, 'produced');
      continue;
    }
    // A run that loads a registered model (fine-tuning) is linked to that version.
    const registered = sha256 ? versionsBySha.get(sha256) : undefined;
    if (registered) {
      for (const version of registered) graph.addEdge(version.id, run, 'used');
      continue;
    }
    graph.addEdge(dataNode(graph, path, kind, sha256, size).id, run, 'used');
  }

  for (const link of links) {
    if (link.key === DERIVED_FROM_TAG) graph.addEdge(nodeId.run(link.value), nodeId.run(link.run_id), 'derived-from');
    if (link.key === RETRAINED_FROM_TAG) {
      graph.addEdge(nodeId.run(link.value), nodeId.run(link.run_id), 'retrained-from');
    }
  }

  for (const push of pushes) {
    const id = nodeId.push(push.digest);
    graph.addNode({
      kind: 'push',
      id,
      label: `${push.repository}${push.tag ? `:${push.tag}` : ''}@${push.digest.slice(7, 19)}`,
      digest: push.digest,
      reference: `${push.registry}/${push.repository}@${push.digest}`,
    });
    graph.addEdge(nodeId.modelVersion(push.name, push.version), id, 'pushed-as');
  }

  for (const record of deployments) addDeployment(graph, record);
  addDriftReports(graph, links);
  return graph;
}

function addDeployment(graph: LineageGraph, record: DeploymentRecord): void {
  const id = nodeId.deployment(record.id);
  graph.addNode({
    kind: 'deployment',
    id,
    label: `${record.name} on ${record.target}`,
    deploymentId: record.id,
    target: record.target,
    status: record.status,
    endpoint: record.endpoint ?? null,
  });
  const push = nodeId.push(record.digest);
  if (!graph.node(push)) {
    const at = record.modelRef.lastIndexOf('@');
    const repository = record.modelRef.slice(record.modelRef.indexOf('/') + 1, at);
    graph.addNode({
      kind: 'push',
      id: push,
      label: `${repository}@${record.digest.replace(/^sha256:/, '').slice(0, 12)}`,
      digest: record.digest,
      reference: record.modelRef,
    });
    const version = record.labels?.[DEPLOYMENT_MODEL_VERSION_LABEL];
    const at2 = version?.lastIndexOf('@') ?? -1;
    if (version && at2 > 0) {
      graph.addEdge(nodeId.modelVersion(version.slice(0, at2), Number(version.slice(at2 + 1))), push, 'pushed-as');
    }
  }
  graph.addEdge(push, id, 'deployed-as');
}

/**
 * A retrain's drift report between the deployment it checked and the run it started: deployment →
 * drift report → retrained run. The report is linked from the run's tags, so nothing is read from disk.
 */
function addDriftReports(graph: LineageGraph, links: readonly { run_id: string; key: string; value: string }[]): void {
  const deploymentOf = new Map(links.filter((l) => l.key === RETRAIN_DEPLOYMENT_TAG).map((l) => [l.run_id, l.value]));
  for (const link of links) {
    if (link.key !== RETRAIN_REPORT_TAG) continue;
    const id = nodeId.driftReport(link.value);
    const deploymentId = deploymentOf.get(link.run_id) ?? null;
    graph.addNode({
      kind: 'drift-report',
      id,
      label: `drift ${basename(link.value, '.json')}`,
      path: link.value,
      deploymentId,
    });
    if (deploymentId) graph.addEdge(nodeId.deployment(deploymentId), id, 'drift-checked');
    graph.addEdge(id, nodeId.run(link.run_id), 'retrained');
  }
}

function dataNode(
  graph: LineageGraph,
  path: string,
  kind: LineageArtifactKind,
  sha256: string | null,
  size: number | null,
): DataNode {
  const id = sha256 ? nodeId.data(sha256) : nodeId.dataByPath(path);
  const node = graph.addNode({
    kind: 'data',
    id,
    label: basename(path),
    sha256,
    paths: [],
    artifactKind: kind,
    size,
  }) as DataNode;
  const at = node.paths.indexOf(path);
  if (at >= 0) node.paths.splice(at, 1);
  node.paths.push(path);
  node.label = basename(path);
  return node;
}

function append<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
