import type { FileStamp, HashLookup } from '../hashing/file-hash';
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
import { uploadWhileHashing } from './hashing-upload';
import {
  listModelFiles,
  packModel,
  parseModelPackInput,
  type ModelPackInput,
  type PackedBlob,
  type PackedModel,
} from './pack';
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
  const hashes: HashLookup = cache ?? new MemoryHashes();
  const client = new OciRegistryClient(target.endpoint, { credentials: options.credentials });
  try {
    const uploaded = await uploadUnhashedFiles(client, input, target, hashes, options);
    // What was not sent above is hashed now (or read from the cache), so the manifest can name it.
    const packed = await packModel(input, {
      hashes,
      signal: options.signal,
      onHashed: (done, total) => emit({ phase: 'hashing', bytesDone: done, bytesTotal: total, bytesSent: 0 }),
    });
    await cache?.save();
    return await pushPacked(client, packed, target, options, uploaded);
  } finally {
    await client.close();
  }
}

class MemoryHashes implements HashLookup {
  private readonly digests = new Map<string, string>();

  get(path: string, stamp: FileStamp): string | undefined {
    return this.digests.get(`${path}\0${stamp.size}\0${stamp.mtimeNs}`);
  }

  set(path: string, stamp: FileStamp, sha256: string): void {
    this.digests.set(`${path}\0${stamp.size}\0${stamp.mtimeNs}`, sha256);
  }
}

/**
 * Sends the large model files no digest is known of while hashing them (see hashing-upload.ts), and
 * records their digests. Skipped when blobs may be mounted from elsewhere, which needs the digest
 * first. Returns what was uploaded, by digest.
 */
async function uploadUnhashedFiles(
  client: OciRegistryClient,
  input: ModelPackInput,
  target: PushTarget,
  hashes: HashLookup,
  options: PushOptions,
): Promise<Map<string, BlobUploadReport>> {
  const uploaded = new Map<string, BlobUploadReport>();
  if ((options.mountFrom ?? []).length > 0) return uploaded;
  const monolithicMax = options.monolithicMax ?? DEFAULT_MONOLITHIC_MAX;
  const files = await listModelFiles(parseModelPackInput(input).path);
  const unhashed = files.filter((f) => f.size > monolithicMax && hashes.get(f.absolute, f.stamp) === undefined);
  if (unhashed.length === 0) return uploaded;
  const emit = options.onProgress ?? (() => undefined);
  const bytesTotal = files.reduce((sum, f) => sum + f.size, 0);
  const states =
    options.uploadStates ??
    (options.workspaceRoot ? new FolderUploadStates(uploadStateDir(options.workspaceRoot)) : new MemoryUploadStates());
  let stored = 0;
  let bytesSent = 0;
  for (const file of unhashed) {
    if (options.signal?.aborted) throw new PushCancelledError();
    const { digest, report } = await uploadWhileHashing(
      client,
      target.repository,
      { path: file.absolute, size: file.size, identity: `${file.absolute}\0${file.stamp.size}\0${file.stamp.mtimeNs}` },
      {
        states,
        retry: { ...DEFAULT_RETRY, ...options.retry },
        chunkSize: options.chunkSize ?? DEFAULT_CHUNK_SIZE,
        monolithicMax,
        mountFrom: [],
        signal: options.signal,
        onProgress: (position, delta) => {
          bytesSent += delta;
          emit({
            phase: 'uploading',
            bytesDone: stored + position,
            bytesTotal,
            bytesSent,
            blob: { digest: '', path: file.relative, size: file.size, position },
          });
        },
      },
    );
    stored += file.size;
    hashes.set(file.absolute, file.stamp, digest.slice('sha256:'.length));
    uploaded.set(digest, report);
  }
  return uploaded;
}

/**
 * The upload half of a push, for callers that packed already or keep their own client. `uploaded`
 * holds blobs this push already sent (and the registry confirmed), by digest.
 */
export async function pushPacked(
  client: OciRegistryClient,
  packed: PackedModel,
  target: PushTarget,
  options: PushOptions = {},
  uploaded: ReadonlyMap<string, BlobUploadReport> = new Map(),
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
    const sent = uploaded.get(digest);
    if (sent) {
      bytesSent += sent.bytesSent;
      stored += size;
      reports.push({ ...sent, path });
      emit({
        phase: 'uploading',
        bytesDone: stored,
        bytesTotal,
        bytesSent,
        blob: { digest, path, size, position: size, outcome: sent.outcome },
      });
      continue;
    }
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
