import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, unlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { isDigest, sha256Digest, type OciRegistryClient } from './client';
import { DigestMismatchError, ModelInputError, RegistryProtocolError } from './errors';
import { ImageManifestSchema, type ImageManifest } from './manifest-schema';
import { ANNOTATION_FILEPATH, MODELPACK_ARTIFACT_TYPE, OCI_TITLE } from './modelpack';
import { classifyRequestError } from './transport';

/**
 * Pulls a ModelPack model back into files: the manifest by digest (its bytes must hash to it), then
 * each layer streamed to disk through sha256, written under a temporary name and renamed only when
 * the digest matches — a corrupted or tampered download never lands as a model file.
 */

export interface PulledFile {
  path: string;
  digest: string;
  size: number;
  mediaType: string;
}

export interface PullResult {
  digest: string;
  manifest: ImageManifest;
  config: unknown;
  files: PulledFile[];
}

export interface PullOptions {
  signal?: AbortSignal;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

/** A layer's path inside the destination; refuses absolute paths and `..` that would escape it. */
export function safeLayerPath(destination: string, relative: string): string {
  const normalized = relative.replace(/\\/g, '/');
  if (!normalized || normalized.startsWith('/') || normalized.split('/').some((p) => p === '..' || p === '')) {
    throw new RegistryProtocolError('manifest', `unsafe file path in layer annotation: ${relative}`, undefined);
  }
  const root = resolve(destination);
  const target = resolve(root, normalized);
  if (!target.startsWith(root + sep))
    throw new RegistryProtocolError('manifest', `unsafe file path: ${relative}`, undefined);
  return target;
}

export async function pullModel(
  client: OciRegistryClient,
  repository: string,
  reference: string,
  destination: string,
  options: PullOptions = {},
): Promise<PullResult> {
  const { bytes, digest } = await client.getManifest(repository, reference, options.signal);
  let manifest: ImageManifest;
  try {
    manifest = ImageManifestSchema.parse(JSON.parse(bytes.toString('utf8')));
  } catch {
    throw new RegistryProtocolError(client.host, `${repository}@${digest} is not an OCI image manifest`, 200);
  }
  if (manifest.artifactType !== MODELPACK_ARTIFACT_TYPE) {
    throw new ModelInputError(
      `${repository}@${digest} is not a ModelPack model (artifactType ${manifest.artifactType ?? 'none'})`,
      'pull a reference that Trackside or another ModelPack tool pushed',
    );
  }

  const configBytes = await readBlobBytes(client, repository, manifest.config.digest, options.signal);
  let config: unknown;
  try {
    config = JSON.parse(configBytes.toString('utf8'));
  } catch {
    throw new RegistryProtocolError(client.host, 'model config is not JSON', 200);
  }

  const total = manifest.layers.reduce((sum, l) => sum + l.size, 0);
  let done = 0;
  const files: PulledFile[] = [];
  for (const layer of manifest.layers) {
    const relative =
      layer.annotations?.[ANNOTATION_FILEPATH] ?? layer.annotations?.[OCI_TITLE] ?? layer.digest.replace(':', '-');
    const target = safeLayerPath(destination, relative);
    await downloadBlob(
      client,
      repository,
      layer.digest,
      layer.size,
      target,
      (n) => {
        done += n;
        options.onProgress?.(done, total);
      },
      options.signal,
    );
    files.push({ path: relative, digest: layer.digest, size: layer.size, mediaType: layer.mediaType });
  }
  return { digest: isDigest(reference) ? reference : digest, manifest, config, files };
}

/** A small blob (config, evaluation result) read whole and checked against its digest. */
export async function readBlobBytes(
  client: OciRegistryClient,
  repository: string,
  digest: string,
  signal?: AbortSignal,
): Promise<Buffer> {
  const response = await client.openBlob(repository, digest, signal);
  const bytes = await client.transport.readBytes(response, 16 * 1024 * 1024, signal);
  const actual = sha256Digest(bytes);
  if (actual !== digest) throw new DigestMismatchError(`blob ${digest}`, digest, actual);
  return bytes;
}

async function downloadBlob(
  client: OciRegistryClient,
  repository: string,
  digest: string,
  size: number,
  target: string,
  onBytes: (n: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const temp = join(dirname(target), `.${randomBytes(6).toString('hex')}.partial`);
  const hash = createHash('sha256');
  let received = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      received += chunk.length;
      onBytes(chunk.length);
      callback(null, chunk);
    },
  });
  try {
    const response = await client.openBlob(repository, digest, signal);
    try {
      await pipeline(response.body, meter, createWriteStream(temp), { signal });
    } catch (error) {
      throw classifyRequestError(client.host, error, signal);
    }
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== digest || received !== size) throw new DigestMismatchError(`layer ${target}`, digest, actual);
    await rename(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
