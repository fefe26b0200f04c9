import type { HashLookup } from '../hashing/file-hash';
import { HashCache, hashCachePath } from '../hashing/hash-cache';
import {
  DEFAULT_CHUNK_SIZE,
  DEFAULT_MONOLITHIC_MAX,
  uploadBlob,
  type BlobOutcome,
  type BlobUploadReport,
} from './blob-upload';
import { OCI_MANIFEST, OciRegistryClient } from './client';
import type { CredentialsProvider } from './credentials';
import type { RegistryEndpoint } from './endpoint';
import { ModelInputError, PushCancelledError } from './errors';
import { ANNOTATION_FILEPATH } from './modelpack';
import { packModel, type ModelPackInput, type PackedBlob, type PackedModel } from './pack';
import { isValidRepository, isValidTag } from './reference';
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from './retry';
import { FolderUploadStates, MemoryUploadStates, uploadStateDir, type UploadStateStore } from './upload-state';

/**
 * Pushes a model as a ModelPack artifact: hash and pack, get every blob into the repository
 * (skipped, mounted, uploaded or resumed), and only when all of them are confirmed, put the
 * manifest under each tag, checking the digest the registry reports against our own.
 */

export interface PushTarget {
  endpoint: RegistryEndpoint;
  repository: string;
  /** The version first, then any aliases; empty pushes the manifest by digest only. */
  tags: string[];
}

export interface PushBlobProgress {
  digest: string;
  /** The file's path in the model, or `config`. */
  path: string;
  size: number;
  /** Bytes of this blob confirmed or in flight. */
  position: number;
  outcome?: BlobOutcome;
}

export interface PushProgress {
  phase: 'hashing' | 'uploading' | 'tagging' | 'done';
  /** Bytes hashed (hashing) or stored in the registry (uploading), over all blobs. */
  bytesDone: number;
  bytesTotal: number;
  /** Body bytes put on the wire so far, resent ones included. */
  bytesSent: number;
  blob?: PushBlobProgress;
}

export interface PushOptions {
  credentials?: CredentialsProvider;
  signal?: AbortSignal;
  onProgress?: (progress: PushProgress) => void;
  /** The workspace whose `.trackside/cache/` keeps file digests and upload progress. */
  workspaceRoot?: string;
  /** Overrides where upload progress is kept (default: the workspace's, else memory). */
  uploadStates?: UploadStateStore;
  retry?: Partial<RetryPolicy>;
  chunkSize?: number;
  monolithicMax?: number;
  /** Repositories on the same registry to mount blobs from before uploading them. */
  mountFrom?: string[];
}

export interface PushedBlob extends BlobUploadReport {
  path: string;
}

export interface PushResult {
  registry: string;
  repository: string;
  digest: string;
  tags: string[];
  /** `registry/repository@sha256:…`, what a deployment pulls. */
  reference: string;
  manifest: Buffer;
  blobs: PushedBlob[];
  bytesSent: number;
  totalBytes: number;
  packed: PackedModel;
}

export async function pushModel(
  input: ModelPackInput,
  target: PushTarget,
  options: PushOptions = {},
): Promise<PushResult> {
  if (!isValidRepository(target.repository)) {
    throw new ModelInputError(
      `"${target.repository}" is not a valid repository name`,
      'use lower-case letters, digits and . _ - separators, with / between path parts',
    );
  }
  const badTag = target.tags.find((t) => !isValidTag(t));
  if (badTag !== undefined) {
    throw new ModelInputError(
      `"${badTag}" is not a valid tag`,
      'use letters, digits, . _ - (up to 128, not starting with . or -)',
    );
  }

  const emit = options.onProgress ?? (() => undefined);
  const cache = options.workspaceRoot ? await HashCache.load(hashCachePath(options.workspaceRoot)) : undefined;
  const packed = await packModel(input, {
    hashes: cache as HashLookup | undefined,
    signal: options.signal,
    onHashed: (done, total) => emit({ phase: 'hashing', bytesDone: done, bytesTotal: total, bytesSent: 0 }),
  });
  await cache?.save();

  const client = new OciRegistryClient(target.endpoint, { credentials: options.credentials });
  try {
    return await pushPacked(client, packed, target, options);
  } finally {
    await client.close();
  }
}

/** The upload half of a push, for callers that packed already or keep their own client. */
export async function pushPacked(
  client: OciRegistryClient,
  packed: PackedModel,
  target: PushTarget,
  options: PushOptions = {},
): Promise<PushResult> {
  const emit = options.onProgress ?? (() => undefined);
  const signal = options.signal;
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const states =
    options.uploadStates ??
    (options.workspaceRoot ? new FolderUploadStates(uploadStateDir(options.workspaceRoot)) : new MemoryUploadStates());

  const blobs: { blob: PackedBlob; path: string }[] = [
    { blob: packed.config, path: 'config' },
    ...packed.layers.map((blob) => ({
      blob,
      path: blob.descriptor.annotations?.[ANNOTATION_FILEPATH] ?? blob.descriptor.digest,
    })),
  ];
  // The same content twice in one model (two identical files) is one blob.
  const unique = blobs.filter(
    (b, i) => blobs.findIndex((o) => o.blob.descriptor.digest === b.blob.descriptor.digest) === i,
  );
  const bytesTotal = unique.reduce((sum, b) => sum + b.blob.descriptor.size, 0);
  let stored = 0;
  let bytesSent = 0;
  const reports: PushedBlob[] = [];

  for (const { blob, path } of unique) {
    if (signal?.aborted) throw new PushCancelledError();
    const { digest, size } = blob.descriptor;
    const report = await uploadBlob(
      client,
      target.repository,
      { digest, size, source: blob.source },
      {
        states,
        retry,
        chunkSize: options.chunkSize ?? DEFAULT_CHUNK_SIZE,
        monolithicMax: options.monolithicMax ?? DEFAULT_MONOLITHIC_MAX,
        mountFrom: options.mountFrom ?? [],
        signal,
        onProgress: (position, delta) => {
          bytesSent += delta;
          emit({
            phase: 'uploading',
            bytesDone: stored + position,
            bytesTotal,
            bytesSent,
            blob: { digest, path, size, position },
          });
        },
      },
    );
    stored += size;
    reports.push({ ...report, path });
    emit({
      phase: 'uploading',
      bytesDone: stored,
      bytesTotal,
      bytesSent,
      blob: { digest, path, size, position: size, outcome: report.outcome },
    });
  }

  // Every blob is confirmed (201 with its digest, or present): now the manifest may point at them.
  emit({ phase: 'tagging', bytesDone: stored, bytesTotal, bytesSent });
  const references = target.tags.length > 0 ? target.tags : [packed.manifestDigest];
  for (const reference of references) {
    await withRetry(retry, signal, () =>
      client.putManifest(target.repository, reference, packed.manifest, OCI_MANIFEST, signal),
    );
  }
  emit({ phase: 'done', bytesDone: stored, bytesTotal, bytesSent });
  return {
    registry: client.host,
    repository: target.repository,
    digest: packed.manifestDigest,
    tags: [...target.tags],
    reference: `${client.host}/${target.repository}@${packed.manifestDigest}`,
    manifest: packed.manifest,
    blobs: reports,
    bytesSent,
    totalBytes: packed.totalBytes,
    packed,
  };
}
