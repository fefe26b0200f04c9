import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OCI_INDEX, OCI_MANIFEST, OciRegistryClient } from '../../../src/core/registry/client';
import { ImageIndexSchema } from '../../../src/core/registry/manifest-schema';
import { pushModel } from '../../../src/core/registry/push';
import { referrersTag } from '../../../src/core/registry/reference';
import {
  EVALUATION_ARTIFACT_TYPE,
  attachEvaluation,
  listReferrers,
  readEvaluation,
} from '../../../src/core/registry/referrers';
import { TestRegistry } from '../../fixtures/registry/docker-registry';
import { demoInput, writeDemoModel } from '../../fixtures/registry/model-files';

describe('evaluation results attached to a model (referrers tag fallback)', () => {
  let registry: TestRegistry;
  let work: string;

  before(async () => {
    registry = await TestRegistry.start();
    work = mkdtempSync(join(tmpdir(), 'trackside-referrers-'));
  });

  after(async () => {
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('writes the sha256-<hex> index on a registry without the referrers API and finds both results there', async () => {
    const model = await writeDemoModel(join(work, 'model'), 64 * 1024);
    const pushed = await pushModel(demoInput(model), {
      endpoint: { url: registry.url },
      repository: 'eval/model',
      tags: ['1.2.0'],
    });
    const subject = { mediaType: OCI_MANIFEST, digest: pushed.digest, size: pushed.manifest.length };
    const client = new OciRegistryClient({ url: registry.url });
    try {
      const first = await attachEvaluation(client, 'eval/model', subject, {
        createdAt: '2025-03-02T09:00:00.000Z',
        dataset: { path: 'data/holdout.csv', sha256: 'b'.repeat(64) },
        metrics: { accuracy: 0.912, f1: 0.88 },
      });
      const second = await attachEvaluation(client, 'eval/model', subject, {
        createdAt: '2025-03-03T09:00:00.000Z',
        metrics: { accuracy: 0.905 },
      });
      assert.equal(first.usedTagFallback, true, 'distribution 2.8 has no referrers API');

      const tagged = await client.getManifest('eval/model', referrersTag(pushed.digest));
      assert.equal(tagged.mediaType, OCI_INDEX);
      const index = ImageIndexSchema.parse(JSON.parse(tagged.bytes.toString('utf8')));
      assert.deepEqual(
        index.manifests.map((m) => m.digest),
        [first.digest, second.digest],
      );

      const found = await listReferrers(client, 'eval/model', pushed.digest, EVALUATION_ARTIFACT_TYPE);
      assert.equal(found.length, 2);
      const evaluation = await readEvaluation(client, 'eval/model', found[0]!.digest);
      assert.deepEqual(evaluation.metrics, { accuracy: 0.912, f1: 0.88 });
      assert.equal(evaluation.dataset?.path, 'data/holdout.csv');
    } finally {
      await client.close();
    }
  });
});
