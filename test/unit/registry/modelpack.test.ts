import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sha256Digest } from '../../../src/core/registry/client';
import {
  ANNOTATION_FILEPATH,
  MODELPACK_ARTIFACT_TYPE,
  MODELPACK_CODE_RAW,
  MODELPACK_CONFIG,
  MODELPACK_DOC_RAW,
  MODELPACK_WEIGHT_CONFIG_RAW,
  MODELPACK_WEIGHT_RAW,
  OCI_CREATED,
  OCI_REVISION,
  OCI_SOURCE,
  OCI_TITLE,
  OCI_VERSION,
  TRACKSIDE_METRICS,
  TRACKSIDE_PARAMS,
  TRACKSIDE_RUN_ID,
  inferFormat,
  layerMediaType,
} from '../../../src/core/registry/modelpack';
import { ModelInputError } from '../../../src/core/registry/errors';
import { packModel } from '../../../src/core/registry/pack';

describe('ModelPack packing', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'trackside-pack-'));
    mkdirSync(join(dir, 'model', 'sub'), { recursive: true });
    writeFileSync(join(dir, 'model', 'sub', 'model.pt'), Buffer.alloc(1000, 7));
    writeFileSync(join(dir, 'model', 'config.json'), '{"a":1}');
    writeFileSync(join(dir, 'model', 'README.md'), '# hi');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const input = () => ({
    path: join(dir, 'model'),
    name: 'iris',
    version: '3',
    createdAt: '2025-01-02T03:04:05.000Z',
    runId: 'RUN1',
    gitCommit: 'abc123',
    gitDirty: true,
    sourceUrl: 'https://example.com/repo',
    params: { lr: 0.1, depth: 4 },
    metrics: { loss: 0.25, accuracy: 0.9 },
    dataInputs: [{ path: 'data/iris.csv', sha256: 'c'.repeat(64), size: 4500 }],
  });

  it('builds a ModelPack manifest: artifactType, config, one raw layer per file with its path, and a model card', async () => {
    const packed = await packModel(input());
    const manifest = JSON.parse(packed.manifest.toString('utf8'));
    assert.equal(manifest.schemaVersion, 2);
    assert.equal(manifest.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(manifest.artifactType, MODELPACK_ARTIFACT_TYPE);
    assert.equal(manifest.config.mediaType, MODELPACK_CONFIG);
    assert.deepEqual(
      manifest.layers.map((l: { mediaType: string; annotations: Record<string, string> }) => [
        l.annotations[ANNOTATION_FILEPATH],
        l.mediaType,
      ]),
      [
        ['README.md', MODELPACK_DOC_RAW],
        ['config.json', MODELPACK_WEIGHT_CONFIG_RAW],
        ['sub/model.pt', MODELPACK_WEIGHT_RAW],
        ['MODEL_CARD.md', MODELPACK_DOC_RAW],
      ],
    );
    assert.equal(manifest.layers[2].digest, sha256Digest(Buffer.alloc(1000, 7)));
    assert.equal(manifest.layers[2].size, 1000);
    assert.deepEqual(manifest.annotations, {
      [OCI_CREATED]: '2025-01-02T03:04:05.000Z',
      [OCI_TITLE]: 'iris',
      [OCI_VERSION]: '3',
      [OCI_SOURCE]: 'https://example.com/repo',
      [OCI_REVISION]: 'abc123',
      'dev.trackside.git.dirty': 'true',
      [TRACKSIDE_RUN_ID]: 'RUN1',
      [TRACKSIDE_METRICS]: '{"accuracy":0.9,"loss":0.25}',
      [TRACKSIDE_PARAMS]: '{"depth":4,"lr":0.1}',
      'dev.trackside.data.inputs': JSON.stringify([{ path: 'data/iris.csv', sha256: 'c'.repeat(64) }]),
    });
    assert.equal(packed.manifestDigest, sha256Digest(packed.manifest));

    const config = JSON.parse((packed.config.source as { bytes: Buffer }).bytes.toString('utf8'));
    assert.equal(packed.config.descriptor.digest, sha256Digest((packed.config.source as { bytes: Buffer }).bytes));
    assert.deepEqual(config.descriptor, {
      createdAt: '2025-01-02T03:04:05.000Z',
      name: 'iris',
      version: '3',
      title: 'iris 3',
      sourceURL: 'https://example.com/repo',
      revision: 'abc123',
    });
    assert.deepEqual(config.config, { format: 'pytorch' });
    assert.deepEqual(config.modelfs, {
      type: 'layers',
      diffIds: manifest.layers.map((l: { digest: string }) => l.digest),
    });

    const card = (packed.layers.at(-1)!.source as { bytes: Buffer }).bytes.toString('utf8');
    assert.match(card, /^# iris 3/);
    assert.match(card, /\| Run \| `RUN1` \|/);
    assert.match(card, /\| Commit \| `abc123` \(with uncommitted changes\) \|/);
    assert.match(card, /\| accuracy \| 0\.9 \|/);
    assert.match(card, /\| lr \| 0\.1 \|/);
    assert.match(card, /\| data\/iris\.csv \| `c{64}` \| 4\.4 KiB \|/);
    assert.match(card, /\| sub\/model\.pt \| `sha256:[0-9a-f]{64}` \| 1000 B \|/);
  });

  it('packs the same model and metadata into the same bytes every time', async () => {
    const a = await packModel(input());
    const b = await packModel(input());
    assert.equal(a.manifestDigest, b.manifestDigest);
    const changed = await packModel({ ...input(), metrics: { loss: 0.2 } });
    assert.notEqual(changed.manifestDigest, a.manifestDigest);
  });

  it('refuses a missing path and invalid metadata with an input error', async () => {
    await assert.rejects(packModel({ ...input(), path: join(dir, 'nope') }), ModelInputError);
    await assert.rejects(packModel({ ...input(), name: '' }), ModelInputError);
  });

  it('classifies files and infers the format from weight files', () => {
    assert.equal(layerMediaType('model.safetensors'), MODELPACK_WEIGHT_RAW);
    assert.equal(layerMediaType('tokenizer.json'), MODELPACK_WEIGHT_CONFIG_RAW);
    assert.equal(layerMediaType('LICENSE'), MODELPACK_DOC_RAW);
    assert.equal(layerMediaType('serve.py'), MODELPACK_CODE_RAW);
    assert.equal(inferFormat(['a.onnx']), 'onnx');
    assert.equal(inferFormat(['a.onnx', 'b.pt']), undefined);
  });
});
