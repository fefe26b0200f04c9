import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Deployer } from '../../../src/core/deploy/deployer';
import { KServeTarget } from '../../../src/core/deploy/kserve/kserve-target';
import { DeploymentStore } from '../../../src/core/deploy/record-store';
import { KServeTargetConfigSchema } from '../../../src/core/deploy/targets-config';
import { readYamlDocuments } from '../../fixtures/deploy/yaml-reader';

const digestA = `sha256:${'a'.repeat(64)}`;
const digestB = `sha256:${'b'.repeat(64)}`;
const refA = `registry.example.com:5000/team/iris@${digestA}`;
const refB = `registry.example.com:5000/team/iris@${digestB}`;

interface InferenceService {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations: Record<string, string> };
  spec: {
    predictor: {
      canaryTrafficPercent?: number;
      model: { modelFormat: { name: string }; storageUri: string; protocolVersion: string };
    };
  };
}

describe('KServe manifests', () => {
  let workspace: string;
  let target: KServeTarget;

  before(() => {
    workspace = mkdtempSync(join(tmpdir(), 'trackside-kserve-'));
    // kubectl pointed at a binary that does not exist: these tests never reach a cluster.
    target = new KServeTarget(
      KServeTargetConfigSchema.parse({
        kind: 'kserve',
        name: 'cluster',
        workspaceRoot: workspace,
        namespace: 'models',
        kubectl: join(workspace, 'no-kubectl'),
      }),
    );
  });

  after(() => rmSync(workspace, { recursive: true, force: true }));

  it('writes an A/B split: the stable version first, then the canary with both digests and its share', async () => {
    const written = await target.writeSplit({
      name: 'iris',
      stable: { modelRef: refA, modelFile: 'model.pkl' },
      canary: { modelRef: refB, modelFile: 'model.pkl' },
      canaryTrafficPercent: 20,
    });
    assert.equal(written.applied, false, 'no cluster configured: written only');
    assert.deepEqual(written.files, [
      join('deploy', 'kserve', 'iris.stable.yaml'),
      join('deploy', 'kserve', 'iris.yaml'),
    ]);

    const [stable] = readYamlDocuments(join(workspace, written.files[0]!)) as InferenceService[];
    const [canary] = readYamlDocuments(join(workspace, written.files[1]!)) as InferenceService[];
    for (const isvc of [stable!, canary!]) {
      assert.equal(isvc.apiVersion, 'serving.kserve.io/v1beta1');
      assert.equal(isvc.kind, 'InferenceService');
      assert.equal(isvc.metadata.name, 'iris');
      assert.equal(isvc.metadata.namespace, 'models');
      assert.equal(isvc.spec.predictor.model.modelFormat.name, 'sklearn');
      assert.equal(isvc.spec.predictor.model.protocolVersion, 'v2');
    }
    assert.equal(stable!.spec.predictor.model.storageUri, `oci://registry.example.com:5000/team/iris@${digestA}`);
    assert.equal(stable!.spec.predictor.canaryTrafficPercent, undefined, 'the stable version takes all traffic');
    assert.equal(canary!.spec.predictor.model.storageUri, `oci://registry.example.com:5000/team/iris@${digestB}`);
    assert.equal(canary!.spec.predictor.canaryTrafficPercent, 20);
    assert.equal(canary!.metadata.annotations['trackside.dev/stable-model-ref'], refA);
  });

  it('refuses a split that sends all or no traffic to the canary', async () => {
    await assert.rejects(
      target.writeSplit({
        name: 'iris',
        stable: { modelRef: refA },
        canary: { modelRef: refB },
        canaryTrafficPercent: 100,
      }),
      (error: Error & { reason?: string }) => error.reason === 'invalid-request',
    );
  });

  it('deploys as written manifests (InferenceService, Deployment and Service) and undeploys by removing them', async () => {
    const store = new DeploymentStore(workspace);
    const deployer = new Deployer({ store, targets: new Map([['cluster', target]]) });
    const record = await deployer.deploy({ target: 'cluster', name: 'digits', modelRef: refB, modelFile: 'net.pt' });
    assert.equal(record.status, 'written');

    const [isvc] = readYamlDocuments(join(workspace, 'deploy', 'kserve', 'digits.yaml')) as InferenceService[];
    assert.equal(isvc!.spec.predictor.model.modelFormat.name, 'pytorch');
    const plain = readYamlDocuments(join(workspace, 'deploy', 'kubernetes', 'digits.yaml')) as {
      kind: string;
      spec: { template?: { spec: { containers: { env: { name: string; value: string }[] }[] } } };
    }[];
    assert.deepEqual(
      plain.map((d) => d.kind),
      ['Deployment', 'Service'],
    );
    const env = plain[0]!.spec.template!.spec.containers[0]!.env;
    assert.deepEqual(env.find((e) => e.name === 'TRACKSIDE_MODEL_REF')?.value, refB);
    assert.deepEqual(env.find((e) => e.name === 'TRACKSIDE_PORT')?.value, '8080', 'a port stays a string in env');

    assert.equal((await deployer.undeploy('cluster', 'digits'))?.status, 'undeployed');
    assert.equal(existsSync(join(workspace, 'deploy', 'kserve', 'digits.yaml')), false);
    assert.equal(existsSync(join(workspace, 'deploy', 'kubernetes', 'digits.yaml')), false);
  });
});
