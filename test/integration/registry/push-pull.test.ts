import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { OciRegistryClient } from '../../../src/core/registry/client';
import {
  ANNOTATION_FILEPATH,
  MODELPACK_ARTIFACT_TYPE,
  MODELPACK_CONFIG,
  MODELPACK_DOC_RAW,
  MODELPACK_WEIGHT_RAW,
  TRACKSIDE_METRICS,
  TRACKSIDE_RUN_ID,
} from '../../../src/core/registry/modelpack';
import { pullModel } from '../../../src/core/registry/pull';
import { pushModel, type PushProgress } from '../../../src/core/registry/push';
import { TestRegistry } from '../../fixtures/registry/docker-registry';
import { demoInput, sha256OfFile, writeDemoModel } from '../../fixtures/registry/model-files';
import { RegistryProxy } from '../../fixtures/registry/registry-proxy';

const run = promisify(execFile);

describe('push and pull a ModelPack model against a real registry', () => {
  let registry: TestRegistry;
  let proxy: RegistryProxy;
  let work: string;
  let model: string;

  before(async () => {
    registry = await TestRegistry.start();
    proxy = await RegistryProxy.start(registry.port);
    work = mkdtempSync(join(tmpdir(), 'trackside-push-'));
    model = await writeDemoModel(join(work, 'model'));
  });

  after(async () => {
    await proxy.stop();
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('pushes, pulls back by digest with every blob verified, and skopeo reads the ModelPack manifest', async () => {
    const progress: PushProgress[] = [];
    const result = await pushModel(
      demoInput(model),
      { endpoint: { url: registry.url }, repository: 'team/churn', tags: ['1.2.0', 'latest'] },
      { onProgress: (p) => progress.push(p), workspaceRoot: work },
    );
    assert.match(result.digest, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(result.tags, ['1.2.0', 'latest']);
    assert.ok(result.blobs.every((b) => b.outcome === 'uploaded'));
    const last = progress.at(-1)!;
    assert.equal(last.phase, 'done');
    assert.equal(last.bytesDone, last.bytesTotal);
    assert.ok(progress.some((p) => p.phase === 'hashing'));

    const client = new OciRegistryClient({ url: registry.url });
    const dest = join(work, 'pulled');
    try {
      const pulled = await pullModel(client, 'team/churn', result.digest, dest);
      assert.equal(pulled.manifest.artifactType, MODELPACK_ARTIFACT_TYPE);
      assert.equal(pulled.manifest.config.mediaType, MODELPACK_CONFIG);
      const paths = pulled.files.map((f) => f.path);
      assert.deepEqual(paths, ['config.json', 'labels.txt', 'weights/model.pt', 'MODEL_CARD.md']);
      for (const file of pulled.files) {
        assert.equal(await sha256OfFile(join(dest, file.path)), file.digest, `${file.path} matches its digest`);
      }
      for (const name of ['config.json', 'labels.txt', 'weights/model.pt']) {
        assert.equal(
          await sha256OfFile(join(dest, name)),
          await sha256OfFile(join(model, name)),
          `${name} round-trips`,
        );
      }
      const weight = pulled.manifest.layers.find((l) => l.annotations?.[ANNOTATION_FILEPATH] === 'weights/model.pt');
      assert.equal(weight?.mediaType, MODELPACK_WEIGHT_RAW);
      const card = pulled.manifest.layers.find((l) => l.mediaType === MODELPACK_DOC_RAW);
      assert.equal(card?.annotations?.[ANNOTATION_FILEPATH], 'MODEL_CARD.md');
      assert.equal(pulled.manifest.annotations?.[TRACKSIDE_RUN_ID], '01JRUNDEMO0000000000000001');
      assert.deepEqual(JSON.parse(pulled.manifest.annotations?.[TRACKSIDE_METRICS] ?? '{}'), {
        accuracy: 0.931,
        loss: 0.18,
      });
      const config = pulled.config as { descriptor: { name: string; version: string }; modelfs: { diffIds: string[] } };
      assert.equal(config.descriptor.name, 'churn-classifier');
      assert.deepEqual(
        config.modelfs.diffIds,
        pulled.manifest.layers.map((l) => l.digest),
      );
    } finally {
      await client.close();
    }

    const { stdout } = await run('skopeo', [
      'inspect',
      '--tls-verify=false',
      '--raw',
      `docker://${registry.host}/team/churn:1.2.0`,
    ]);
    const manifest = JSON.parse(stdout) as { artifactType: string; layers: unknown[] };
    assert.equal(manifest.artifactType, MODELPACK_ARTIFACT_TYPE);
    assert.equal(manifest.layers.length, 4);
  });

  it('pushes an unchanged model again without uploading any blob', async () => {
    const before = proxy.requests.length;
    const input = demoInput(model);
    const target = { endpoint: { url: proxy.url }, repository: 'team/again', tags: ['1.2.0'] };
    const first = await pushModel(input, target, { workspaceRoot: work });
    assert.ok(first.bytesSent > 3 * 1024 * 1024);
    const uploadsAfterFirst = proxy.count('PATCH', '/blobs/uploads/') + proxy.count('PUT', '/blobs/uploads/');
    assert.ok(uploadsAfterFirst > 0, 'the first push went through the proxy');

    const second = await pushModel(input, target, { workspaceRoot: work });
    assert.equal(second.digest, first.digest);
    assert.equal(second.bytesSent, 0);
    assert.ok(second.blobs.every((b) => b.outcome === 'exists'));
    const uploadsAfterSecond = proxy.count('PATCH', '/blobs/uploads/') + proxy.count('PUT', '/blobs/uploads/');
    assert.equal(uploadsAfterSecond, uploadsAfterFirst, 'no upload request on the second push');
    assert.equal(
      proxy.count('POST', '/blobs/uploads/'),
      proxy.requests.slice(0, before).filter((r) => r.method === 'POST').length + first.blobs.length,
    );
  });

  it('mounts blobs from another repository instead of uploading them', async () => {
    const result = await pushModel(
      demoInput(model),
      { endpoint: { url: registry.url }, repository: 'team/copy', tags: ['1.2.0'] },
      { mountFrom: ['team/churn'] },
    );
    assert.equal(result.bytesSent, 0);
    assert.ok(
      result.blobs.every((b) => b.outcome === 'mounted'),
      JSON.stringify(result.blobs.map((b) => b.outcome)),
    );
  });

  it('a first push of a large file, sent while it is hashed, reports progress that never goes back', async () => {
    // Larger than the single-PUT limit and never hashed before: it is uploaded while it is hashed,
    // before the small files are packed and sent.
    const fresh = await writeDemoModel(join(work, 'large-model'), 2 * 1024 * 1024 + 5);
    const progress: PushProgress[] = [];
    const result = await pushModel(
      demoInput(fresh),
      { endpoint: { url: registry.url }, repository: 'team/large', tags: ['1.0.0'] },
      { onProgress: (p) => progress.push(p), workspaceRoot: work, monolithicMax: 256 * 1024, chunkSize: 512 * 1024 },
    );
    const uploading = progress.filter((p) => p.phase === 'uploading');
    assert.ok(uploading.some((p) => p.blob?.path === 'weights/model.pt'));
    for (let i = 1; i < uploading.length; i++) {
      const [before, now] = [uploading[i - 1]!, uploading[i]!];
      assert.ok(now.bytesDone >= before.bytesDone, `stored went from ${before.bytesDone} to ${now.bytesDone}`);
      assert.ok(now.bytesSent >= before.bytesSent, `sent went from ${before.bytesSent} to ${now.bytesSent}`);
    }
    const last = progress.at(-1)!;
    assert.equal(last.phase, 'done');
    assert.equal(last.bytesDone, last.bytesTotal);
    assert.equal(last.bytesTotal, result.totalBytes);
    assert.equal(last.bytesSent, result.bytesSent);
  });
});
