import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { DeploymentRecord } from '../../../src/core/deploy/records';
import { dataFreshness } from '../../../src/core/lineage/freshness';
import { nodeId, type DataNode } from '../../../src/core/lineage/graph';
import { findImpact } from '../../../src/core/lineage/impact';
import {
  DEPLOYMENT_MODEL_VERSION_LABEL,
  DERIVED_FROM_TAG,
  loadLineageGraph,
} from '../../../src/core/lineage/load-graph';
import type { ModelRegistry } from '../../../src/core/models/model-registry';
import { modelRegistryOver } from '../../../src/core/workspace/workspace';
import { ingestAll } from '../../../src/core/runs/ingest';
import { IndexStore } from '../../../src/core/store/database';
import { TempWorkspace } from '../../fixtures/run-folder-builder';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const COMMIT = 'c'.repeat(40);
const DIGEST = `sha256:${'d'.repeat(64)}`;

describe('lineage graph', () => {
  let ws: TempWorkspace;
  let store: IndexStore;
  let registry: ModelRegistry;

  beforeEach(async () => {
    ws = new TempWorkspace('trackside-lineage-');
    mkdirSync(join(ws.root, 'data'));
    writeFileSync(join(ws.root, 'data', 'train.csv'), 'x,y\n1,2\n');
    writeFileSync(join(ws.root, 'model.pkl'), 'base weights');
    const git = { commit: COMMIT, branch: 'main', dirty: false, remote: null, untracked: [] };
    // run 1 trains on data/train.csv → model.pkl; run 2 fine-tunes that model; run 3 reproduces run 1.
    ws.run(1, { git })
      .writeInfo()
      .writeStatus()
      .events([
        {
          type: 'artifact',
          path: 'data/train.csv',
          role: 'input',
          kind: 'dataset',
          sha256: sha('x,y\n1,2\n'),
          size: 8,
        },
        { type: 'artifact', path: 'model.pkl', role: 'output', kind: 'model', sha256: sha('base weights'), size: 12 },
        { type: 'artifact', path: 'metrics.json', role: 'output', kind: 'file', sha256: sha('{}'), size: 2 },
      ]);
    ws.run(2, { git })
      .writeInfo()
      .writeStatus()
      .events([
        { type: 'artifact', path: 'model.pkl', role: 'input', kind: 'model', sha256: sha('base weights'), size: 12 },
        { type: 'artifact', path: 'tuned.pkl', role: 'output', kind: 'model', sha256: sha('tuned'), size: 5 },
      ]);
    ws.run(3, { git })
      .writeInfo()
      .writeStatus()
      .events([{ type: 'tag', key: DERIVED_FROM_TAG, value: ws.run(1).id }]);
    ws.run(4, { git: null }).writeInfo().writeStatus();
    store = IndexStore.openWorkspace(ws.root);
    await ingestAll(store, ws.root);
    registry = modelRegistryOver(store, ws.root, { actor: async () => 'tester' });
    await registry.register({ runId: ws.run(1).id, artifactPath: 'model.pkl', name: 'base' });
    await registry.register({ runId: ws.run(2).id, artifactPath: 'tuned.pkl', name: 'tuned' });
    await registry.setAlias('tuned', 'champion', 1);
    await registry.recordPush({
      name: 'tuned',
      version: 1,
      registry: 'localhost:5000',
      repository: 'ml/tuned',
      tag: 'v1',
      digest: DIGEST,
    });
  });

  afterEach(() => {
    store.close();
    ws.cleanup();
  });

  const deployment: DeploymentRecord = {
    id: '01DEPLOY',
    name: 'tuned-api',
    target: 'local-podman',
    targetKind: 'podman',
    modelName: 'tuned',
    modelRef: `localhost:5000/ml/tuned@${DIGEST}`,
    digest: DIGEST,
    plainHttp: true,
    status: 'ready',
    endpoint: 'http://127.0.0.1:8080',
    createdAt: '2025-01-02T00:00:00.000Z',
    updatedAt: '2025-01-02T00:00:00.000Z',
    events: [],
  };

  it('links data → run → model version → fine-tuning run → version → push → deployment', () => {
    const graph = loadLineageGraph(store, [deployment]);
    const data = nodeId.data(sha('x,y\n1,2\n'));
    const down = graph.downstream(data);
    for (const id of [
      nodeId.run(ws.run(1).id),
      nodeId.modelVersion('base', 1),
      nodeId.run(ws.run(2).id),
      nodeId.modelVersion('tuned', 1),
      nodeId.push(DIGEST),
      nodeId.deployment('01DEPLOY'),
      nodeId.run(ws.run(3).id),
    ]) {
      assert.ok(down.has(id), `${id} is downstream of the data file`);
    }
    // A registered output is shown as its version, not as a second file node.
    assert.equal(graph.node(nodeId.data(sha('base weights'))), undefined);
    assert.ok(graph.node(nodeId.data(sha('{}'))), 'unregistered outputs stay file nodes');
    assert.equal((graph.node(nodeId.modelVersion('tuned', 1)) as { aliases: string[] }).aliases[0], 'champion');

    const up = graph.upstream(nodeId.deployment('01DEPLOY'));
    assert.ok(up.has(data), 'the deployment traces back to the data file');
    assert.ok(up.has(nodeId.commit(COMMIT)), 'and to the code commit');
    assert.ok(!up.has(nodeId.run(ws.run(4).id)), 'an unrelated run is not upstream');
  });

  it('adds a deployment without a recorded push through its model-version label', async () => {
    const graph = loadLineageGraph(store, [
      {
        ...deployment,
        id: '01OTHER',
        digest: `sha256:${'e'.repeat(64)}`,
        modelRef: `localhost:5000/ml/base@sha256:${'e'.repeat(64)}`,
        labels: { [DEPLOYMENT_MODEL_VERSION_LABEL]: 'base@1' },
      },
    ]);
    assert.ok(graph.upstream(nodeId.deployment('01OTHER')).has(nodeId.modelVersion('base', 1)));
  });

  it('a lineage view of a run holds its inputs, outputs and what came of them, with each run’s other inputs', () => {
    const graph = loadLineageGraph(store, [deployment]);
    const view = graph.lineageOf([nodeId.run(ws.run(1).id)]);
    const ids = new Set(view.nodes.map((n) => n.id));
    assert.ok(ids.has(nodeId.data(sha('x,y\n1,2\n'))));
    assert.ok(ids.has(nodeId.modelVersion('base', 1)));
    assert.ok(ids.has(nodeId.deployment('01DEPLOY')));
    assert.ok(!ids.has(nodeId.run(ws.run(4).id)));
    for (const edge of view.edges) assert.ok(ids.has(edge.from) && ids.has(edge.to));
    assert.ok(view.edges.some((e) => e.kind === 'derived-from' && e.to === nodeId.run(ws.run(3).id)));
  });

  it('finds the runs, model versions and deployments trained on a file, old versions included', async () => {
    const file = join(ws.root, 'data', 'train.csv');
    writeFileSync(file, 'x,y\n1,3\n');
    const graph = loadLineageGraph(store, [deployment]);
    const impact = await findImpact(graph, ws.root, file);
    assert.equal(impact.path, 'data/train.csv');
    assert.deepEqual(impact.versionsUsed, [{ sha256: sha('x,y\n1,2\n'), current: false }]);
    assert.deepEqual(
      impact.runs.map((r) => r.runId),
      [ws.run(1).id, ws.run(2).id, ws.run(3).id],
    );
    assert.deepEqual(impact.modelVersions.map((m) => m.label).sort(), ['base v1', 'tuned v1']);
    assert.deepEqual(
      impact.deployments.map((d) => d.deploymentId),
      ['01DEPLOY'],
    );
  });

  it('marks a data node stale once its file changes, and missing once it is gone', async () => {
    const graph = loadLineageGraph(store);
    const data = graph.node(nodeId.data(sha('x,y\n1,2\n'))) as DataNode;
    assert.equal((await dataFreshness(ws.root, [data])).get(data.id)?.state, 'current');
    writeFileSync(join(ws.root, 'data', 'train.csv'), 'x,y\n9,9\n');
    const stale = (await dataFreshness(ws.root, [data])).get(data.id);
    assert.equal(stale?.state, 'stale');
    assert.equal(stale?.currentSha256, sha('x,y\n9,9\n'));
    ws.cleanup();
    assert.equal((await dataFreshness(ws.root, [data])).get(data.id)?.state, 'missing');
  });
});
