import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { OciRegistryClient } from '../../../src/core/registry/client';
import { ImageManifestSchema } from '../../../src/core/registry/manifest-schema';
import {
  OCI_REVISION,
  TRACKSIDE_METRICS,
  TRACKSIDE_PARAMS,
  TRACKSIDE_RUN_ID,
} from '../../../src/core/registry/modelpack';
import { TestRegistry } from '../../fixtures/registry/docker-registry';
import { writeDemoModel } from '../../fixtures/registry/model-files';
import { TempWorkspace } from '../../fixtures/run-folder-builder';

const run = promisify(execFile);
const REPO = join(__dirname, '..', '..', '..');
const CLI = join(REPO, 'src', 'cli', 'main.ts');
// The CLI runs from the workspace folder, where a bare `tsx` would not resolve.
const TSX = pathToFileURL(join(REPO, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

describe('trackside push from a terminal', () => {
  let registry: TestRegistry;
  let ws: TempWorkspace;

  before(async () => {
    registry = await TestRegistry.start();
    ws = new TempWorkspace('trackside-cli-push-');
  });

  after(async () => {
    await registry.stop();
    ws.cleanup();
  });

  it('pushes a model with the params, last metrics and commit of its run', async () => {
    const trained = ws
      .run(1, { params: { lr: 0.05 } })
      .writeInfo()
      .writeStatus();
    trained.events([
      { type: 'params', values: { epochs: 3 } },
      { type: 'metric', key: 'loss', value: 0.9, step: 0, ts: 1 },
      { type: 'metric', key: 'loss', value: 0.4, step: 1, ts: 2 },
      { type: 'artifact', path: 'data/train.csv', role: 'input', kind: 'dataset', sha256: 'd'.repeat(64), size: 10 },
    ]);
    const model = await writeDemoModel(join(ws.root, 'out', 'model'), 128 * 1024);
    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        TSX,
        CLI,
        'push',
        model,
        '--registry',
        registry.url,
        '--repository',
        'cli/model',
        '--tag',
        '2.0',
        '--tag',
        'stable',
        '--run',
        trained.id.slice(0, 20),
        '--json',
      ],
      { cwd: join(ws.root, 'out') },
    );
    const result = JSON.parse(stdout) as { digest: string; tags: string[] };
    assert.deepEqual(result.tags, ['2.0', 'stable']);

    const client = new OciRegistryClient({ url: registry.url });
    try {
      assert.equal(await client.manifestDigest('cli/model', 'stable'), result.digest);
      const manifest = ImageManifestSchema.parse(
        JSON.parse((await client.getManifest('cli/model', result.digest)).bytes.toString('utf8')),
      );
      assert.equal(manifest.annotations?.[TRACKSIDE_RUN_ID], trained.id);
      assert.equal(manifest.annotations?.[OCI_REVISION], 'a'.repeat(40));
      assert.deepEqual(JSON.parse(manifest.annotations?.[TRACKSIDE_METRICS] ?? ''), { loss: 0.4 });
      assert.deepEqual(JSON.parse(manifest.annotations?.[TRACKSIDE_PARAMS] ?? ''), { epochs: 3, lr: 0.05 });
    } finally {
      await client.close();
    }
  });

  it('explains a refused password with the registry, the user and the next step, without printing it', async () => {
    const secured = await TestRegistry.start({ basicAuth: { username: 'carol', password: 'right-one' } });
    try {
      const failed = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = execFile(
          process.execPath,
          [
            '--import',
            TSX,
            CLI,
            'push',
            join(ws.root, 'out', 'model'),
            '--registry',
            secured.url,
            '--repository',
            'cli/model',
            '--version',
            '1',
            '--username',
            'carol',
            '--password-stdin',
          ],
          { cwd: ws.root },
          (error, _stdout, stderr) =>
            resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stderr }),
        );
        child.stdin?.end('wrong-one\n');
      });
      assert.equal(failed.code, 1);
      assert.match(failed.stderr, new RegExp(`authentication failed for ${secured.host} as carol`));
      assert.match(failed.stderr, /next: re-enter the password or token for carol/);
      assert.doesNotMatch(failed.stderr, /wrong-one/);
    } finally {
      await secured.stop();
    }
  });
});
