import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OciRegistryClient } from '../../../src/core/registry/client';
import { RegistryNetworkError } from '../../../src/core/registry/errors';
import { pullModel } from '../../../src/core/registry/pull';
import { pushModel } from '../../../src/core/registry/push';
import { uploadStateDir } from '../../../src/core/registry/upload-state';
import { TestRegistry } from '../../fixtures/registry/docker-registry';
import { demoInput, sha256OfFile, writeRandomFile } from '../../fixtures/registry/model-files';
import { RegistryProxy } from '../../fixtures/registry/registry-proxy';
import { TcpCutter } from '../../fixtures/registry/tcp-cutter';

const MiB = 1024 * 1024;
const SIZE = 96 * MiB + 12_345;
const CHUNK = 8 * MiB;

describe('a large upload cut off by a registry crash resumes where it stopped', () => {
  let registry: TestRegistry;
  let proxy: RegistryProxy;
  let work: string;
  let model: string;

  before(async () => {
    registry = await TestRegistry.start();
    proxy = await RegistryProxy.start(registry.port);
    work = mkdtempSync(join(tmpdir(), 'trackside-resume-'));
    model = join(work, 'model');
    mkdirSync(model);
    await writeRandomFile(join(model, 'weights.safetensors'), SIZE);
  });

  after(async () => {
    await proxy.stop();
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('keeps no manifest until the blobs are in, and sends less than 1.5 × the file in all', async () => {
    const input = demoInput(model);
    const target = { endpoint: { url: proxy.url }, repository: 'big/model', tags: ['1.2.0'] };
    const options = { workspaceRoot: work, chunkSize: CHUNK, retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 50 } };

    // Mid-way through the fifth chunk the connection drops and the registry process dies.
    proxy.cutAfter(4 * CHUNK + 3 * MiB, () => void registry.kill());
    const first = await pushModel(input, target, options).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(first instanceof RegistryNetworkError, `the push fails while the registry is down: ${String(first)}`);
    assert.equal(
      readdirSync(uploadStateDir(work)).filter((f) => f.endsWith('.json')).length,
      1,
      'upload progress is saved',
    );

    await registry.launch();
    const direct = new OciRegistryClient({ url: registry.url });
    try {
      assert.equal(await direct.manifestDigest('big/model', '1.2.0'), null, 'no manifest after the failed push');

      const second = await pushModel(input, target, options);
      const weights = second.blobs.find((b) => b.path === 'weights.safetensors')!;
      assert.equal(weights.outcome, 'resumed');
      assert.equal(weights.resumedFrom, 4 * CHUNK);
      assert.equal(weights.restarts, 0);
      assert.ok(weights.bytesSent <= SIZE - 4 * CHUNK, `only the rest was sent the second time (${weights.bytesSent})`);
      assert.ok(proxy.bodyBytes < 1.5 * SIZE, `bytes sent in all: ${proxy.bodyBytes} for a ${SIZE}-byte file`);
      assert.deepEqual(
        readdirSync(uploadStateDir(work)).filter((f) => f.endsWith('.json')),
        [],
        'progress file removed when done',
      );

      assert.equal(await direct.manifestDigest('big/model', '1.2.0'), second.digest);
      const pulled = await pullModel(direct, 'big/model', second.digest, join(work, 'pulled'));
      const file = pulled.files.find((f) => f.path === 'weights.safetensors')!;
      assert.equal(await sha256OfFile(join(work, 'pulled', 'weights.safetensors')), file.digest);
      assert.equal(file.digest, await sha256OfFile(join(model, 'weights.safetensors')));
    } finally {
      await direct.close();
    }
  });
});

describe('connections dropped during one push', () => {
  let registry: TestRegistry;
  let proxy: RegistryProxy;
  let cutter: TcpCutter;
  let work: string;
  let model: string;
  const size = 40 * MiB + 7;

  before(async () => {
    registry = await TestRegistry.start();
    proxy = await RegistryProxy.start(registry.port);
    cutter = await TcpCutter.start(registry.port);
    work = mkdtempSync(join(tmpdir(), 'trackside-drop-'));
    model = join(work, 'model');
    mkdirSync(model);
    await writeRandomFile(join(model, 'weights.bin'), size);
  });

  after(async () => {
    await cutter.stop();
    await proxy.stop();
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('retries with backoff and continues from the offset the registry reports', async () => {
    proxy.cutAfter(2 * CHUNK + MiB);
    const result = await pushModel(
      demoInput(model),
      { endpoint: { url: proxy.url }, repository: 'drop/buffered', tags: ['1'] },
      { chunkSize: CHUNK, retry: { attempts: 4, baseDelayMs: 20, maxDelayMs: 50 } },
    );
    const weights = result.blobs.find((b) => b.path === 'weights.bin')!;
    assert.equal(weights.outcome, 'resumed');
    assert.equal(weights.resumedFrom, 2 * CHUNK);
    assert.ok(weights.bytesSent < size + CHUNK, `${weights.bytesSent} bytes for a ${size}-byte file`);
  });

  it('starts the blob over when the registry cannot continue a session cut mid-chunk, and still lands intact', async () => {
    // Straight into the registry, the cut leaves half a chunk stored: the distribution registry's
    // signed upload URL then no longer matches its offset, so that session is lost for good.
    cutter.cutAfter(CHUNK + 3 * MiB);
    const result = await pushModel(
      demoInput(model),
      { endpoint: { url: cutter.url }, repository: 'drop/direct', tags: ['1'] },
      { chunkSize: CHUNK, retry: { attempts: 4, baseDelayMs: 20, maxDelayMs: 50 } },
    );
    const weights = result.blobs.find((b) => b.path === 'weights.bin')!;
    assert.equal(weights.outcome, 'uploaded');
    assert.equal(weights.restarts, 1);
    const direct = new OciRegistryClient({ url: registry.url });
    try {
      const pulled = await pullModel(direct, 'drop/direct', result.digest, join(work, 'pulled'));
      assert.equal(
        pulled.files.find((f) => f.path === 'weights.bin')!.digest,
        await sha256OfFile(join(model, 'weights.bin')),
      );
    } finally {
      await direct.close();
    }
  });
});
