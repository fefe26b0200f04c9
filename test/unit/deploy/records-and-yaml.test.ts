import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DeployRequestSchema } from '../../../src/core/deploy/deployer';
import { toYamlDocuments } from '../../../src/core/deploy/kube-yaml';
import { parseModelRef } from '../../../src/core/deploy/model-ref';
import { DeploymentStore } from '../../../src/core/deploy/record-store';
import type { DeploymentRecord } from '../../../src/core/deploy/records';
import { readYamlDocuments } from '../../fixtures/deploy/yaml-reader';

const digest = `sha256:${'c'.repeat(64)}`;
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trackside-deploy-unit-'));
  dirs.push(dir);
  return dir;
}
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function newRecord(store: DeploymentStore, name: string): DeploymentRecord {
  const at = new Date().toISOString();
  return {
    id: store.newId(),
    name,
    target: 'box',
    targetKind: 'ssh',
    modelName: name,
    modelRef: `127.0.0.1:5000/team/${name}@${digest}`,
    digest,
    plainHttp: true,
    status: 'deploying',
    createdAt: at,
    updatedAt: at,
    events: [{ at, status: 'deploying' }],
  };
}

describe('deployment records', () => {
  it('survive a restart, keep their status history, and skip files that are not records', async () => {
    const workspace = tempDir();
    const store = new DeploymentStore(workspace);
    const first = await store.transition(await store.save(newRecord(store, 'iris')), 'ready');
    await store.transition(first, 'undeployed');
    await store.transition(await store.save(newRecord(store, 'iris')), 'failed');
    await store.transition(await store.save(newRecord(store, 'digits')), 'ready');
    writeFileSync(join(store.dir, 'torn.json'), '{"id": "x"');

    const reopened = new DeploymentStore(workspace);
    const listing = reopened.list();
    assert.deepEqual(listing.skipped, ['torn.json']);
    assert.deepEqual(
      reopened.history('box', 'iris').map((r) => r.status),
      ['undeployed', 'failed'],
    );
    assert.deepEqual(
      reopened.get(first.id)?.events.map((e) => e.status),
      ['deploying', 'ready', 'undeployed'],
    );
    assert.equal(reopened.current('box', 'iris'), undefined, 'nothing of iris may be running');
    assert.equal(reopened.current('box', 'digits')?.status, 'ready');
    assert.deepEqual(
      reopened
        .latestPerName()
        .map((r) => `${r.name}:${r.status}`)
        .sort(),
      ['digits:ready', 'iris:failed'],
    );
  });

  it('refuses a model reference that is not pinned by digest', () => {
    assert.throws(() => parseModelRef('127.0.0.1:5000/team/iris:latest'), { reason: 'invalid-request' });
    assert.deepEqual(parseModelRef(`127.0.0.1:5000/team/iris@${digest}`), {
      registry: '127.0.0.1:5000',
      repository: 'team/iris',
      digest,
    });
  });
});

describe('deploy requests', () => {
  it('refuse a model file name with a control character, as a crafted artifact layer title could carry', () => {
    const request = { target: 'local', name: 'iris', modelRef: `r/iris@${digest}` };
    assert.equal(DeployRequestSchema.safeParse({ ...request, modelFile: 'models/iris.pkl' }).success, true);
    for (const modelFile of ['x\n--host 0.0.0.0', 'a\rb', 'tab\there', 'x\u2028y', '']) {
      assert.equal(DeployRequestSchema.safeParse({ ...request, modelFile }).success, false, JSON.stringify(modelFile));
    }
  });
});

describe('manifest YAML', () => {
  it('reads back exactly, even the strings a YAML 1.1 reader would turn into booleans or numbers', () => {
    const documents = [
      {
        kind: 'Deployment',
        metadata: { name: 'iris', labels: { enabled: 'yes', mode: 'on', zip: '010', version: '1.0' } },
        spec: {
          args: ['--port', '8080', 'a: b', '#not-a-comment', ''],
          env: [{ name: 'EMPTY', value: '' }],
          nested: [[1, 2], []],
          flags: { on: true, off: false, none: null, ratio: 0.25 },
          empty: {},
        },
      },
      { kind: 'Service', metadata: { name: 'quote"and\'apostrophe' } },
    ];
    const path = join(tempDir(), 'manifest.yaml');
    writeFileSync(path, toYamlDocuments(documents));
    assert.deepEqual(readYamlDocuments(path), documents);
  });

  it('keeps characters a YAML reader takes as line breaks or refuses inside quotes', () => {
    // U+2028/U+2029/U+0085 are line breaks to YAML (a raw one breaks the document); DEL, C1
    // controls and a BOM are not printable in YAML; JSON leaves all of them raw.
    const values = ['x\u2028touch canary', 'a\u2029b', 'n\u0085l', 'del\u007f', 'c1\u009b', '\ufeffbom', 'tab\tnl\n'];
    const documents = [
      { kind: 'Pod', spec: { args: values, env: values.map((value, i) => ({ name: `V${i}`, value })) } },
    ];
    const path = join(tempDir(), 'manifest.yaml');
    writeFileSync(path, toYamlDocuments(documents));
    assert.deepEqual(readYamlDocuments(path), documents);
  });
});
