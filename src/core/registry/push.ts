import type { FileStamp, HashLookup } from '../hashing/file-hash';
import { HashCache, hashCachePath } from '../hashing/hash-cache';
import {
  DEFAULT_CHUNK_SIZE,
  DEFAULT_MONOLITHIC_MAX,
  uploadBlob,
  type BlobOutcome,
  type BlobUploadOptions,
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

  const tally = new PushTally(options);
  const cache = options.workspaceRoot ? await HashCache.load(hashCachePath(options.workspaceRoot)) : undefined;
  const hashes: HashLookup = cache ?? new MemoryHashes();
  const client = new OciRegistryClient(target.endpoint, { credentials: options.credentials });
  try {
    const uploaded = await uploadUnhashedFiles(client, input, target, hashes, options, tally);
    // What was not sent above is hashed now (or read from the cache), so the manifest can name it.
    const packed = await packModel(input, {
      hashes,
      signal: options.signal,
      onHashed: (done, total) => tally.hashed(done, total),
    });
    await cache?.save();
    return await pushPacked(client, packed, target, options, tally, uploaded);
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
 * The running totals of one push, told to `onProgress` as they move: bytes stored in the registry
 * over every blob, and bytes put on the wire (resent ones included). One tally spans the large
 * files sent while they are hashed and the blobs sent after packing, so neither figure goes back.
 */
class PushTally {
  stored = 0;
  bytesSent = 0;
  bytesTotal = 0;
  readonly retry: RetryPolicy;
  private readonly states: UploadStateStore;
  private readonly emit: (progress: PushProgress) => void;

  constructor(private readonly options: PushOptions) {
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.states =
      options.uploadStates ??
      (options.workspaceRoot
        ? new FolderUploadStates(uploadStateDir(options.workspaceRoot))
        : new MemoryUploadStates());
    this.emit = options.onProgress ?? (() => undefined);
  }

  /** How one blob is uploaded: the push's settings, and progress that moves the totals. */
  uploadOptions(blob: Omit<PushBlobProgress, 'position'>, mountFrom: readonly string[]): BlobUploadOptions {
    return {
      states: this.states,
      retry: this.retry,
      chunkSize: this.options.chunkSize ?? DEFAULT_CHUNK_SIZE,
      monolithicMax: this.options.monolithicMax ?? DEFAULT_MONOLITHIC_MAX,
      mountFrom,
      signal: this.options.signal,
      onProgress: (position, delta) => {
        this.bytesSent += delta;
        this.emit({ ...this.totals('uploading'), bytesDone: this.stored + position, blob: { ...blob, position } });
      },
    };
  }

  /** A blob the registry confirmed (already counted in `stored`). */
  blobStored(blob: Omit<PushBlobProgress, 'position' | 'outcome'>, outcome: BlobOutcome): void {
    this.emit({ ...this.totals('uploading'), blob: { ...blob, position: blob.size, outcome } });
  }

  hashed(done: number, total: number): void {
    this.emit({ phase: 'hashing', bytesDone: done, bytesTotal: total, bytesSent: this.bytesSent });
  }

  phase(phase: 'tagging' | 'done'): void {
    this.emit(this.totals(phase));
  }

  private totals(phase: PushProgress['phase']): PushProgress {
    return { phase, bytesDone: this.stored, bytesTotal: this.bytesTotal, bytesSent: this.bytesSent };
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
  tally: PushTally,
): Promise<Map<string, BlobUploadReport>> {
  const uploaded = new Map<string, BlobUploadReport>();
  if ((options.mountFrom ?? []).length > 0) return uploaded;
  const monolithicMax = options.monolithicMax ?? DEFAULT_MONOLITHIC_MAX;
  const files = await listModelFiles(parseModelPackInput(input).path);
  const unhashed = files.filter((f) => f.size > monolithicMax && hashes.get(f.absolute, f.stamp) === undefined);
  if (unhashed.length === 0) return uploaded;
  tally.bytesTotal = files.reduce((sum, f) => sum + f.size, 0);
  for (const file of unhashed) {
    if (options.signal?.aborted) throw new PushCancelledError();
    const { digest, report } = await uploadWhileHashing(
      client,
      target.repository,
      { path: file.absolute, size: file.size, identity: `${file.absolute}\0${file.stamp.size}\0${file.stamp.mtimeNs}` },
      tally.uploadOptions({ digest: '', path: file.relative, size: file.size }, []),
    );
    tally.stored += file.size;
    hashes.set(file.absolute, file.stamp, digest.slice('sha256:'.length));
    uploaded.set(digest, report);
  }
  return uploaded;
}

/**
 * The upload half of a push. `uploaded` holds blobs this push already sent (and the registry
 * confirmed), by digest; `tally` has counted them.
 */
async function pushPacked(
  client: OciRegistryClient,
  packed: PackedModel,
  target: PushTarget,
  options: PushOptions,
  tally: PushTally,
  uploaded: ReadonlyMap<string, BlobUploadReport>,
): Promise<PushResult> {
  const signal = options.signal;

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
  // Now the blobs are known: the total is theirs, and what was sent while hashing is stored.
  tally.bytesTotal = unique.reduce((sum, b) => sum + b.blob.descriptor.size, 0);
  tally.stored = unique.reduce(
    (sum, b) => sum + (uploaded.has(b.blob.descriptor.digest) ? b.blob.descriptor.size : 0),
    0,
  );
  const reports: PushedBlob[] = [];

  for (const { blob, path } of unique) {
    if (signal?.aborted) throw new PushCancelledError();
    const { digest, size } = blob.descriptor;
    const sent = uploaded.get(digest);
    if (sent) {
      reports.push({ ...sent, path });
      tally.blobStored({ digest, path, size }, sent.outcome);
      continue;
    }
    const report = await uploadBlob(
      client,
      target.repository,
      { digest, size, source: blob.source },
      tally.uploadOptions({ digest, path, size }, options.mountFrom ?? []),
    );
    tally.stored += size;
    reports.push({ ...report, path });
    tally.blobStored({ digest, path, size }, report.outcome);
  }

  // Every blob is confirmed (201 with its digest, or present): now the manifest may point at them.
  tally.phase('tagging');
  const references = target.tags.length > 0 ? target.tags : [packed.manifestDigest];
  for (const reference of references) {
    await withRetry(tally.retry, signal, () =>
      client.putManifest(target.repository, reference, packed.manifest, OCI_MANIFEST, signal),
    );
  }
  tally.phase('done');
  return {
    registry: client.host,
    repository: target.repository,
    digest: packed.manifestDigest,
    tags: [...target.tags],
    reference: `${client.host}/${target.repository}@${packed.manifestDigest}`,
    manifest: packed.manifest,
    blobs: reports,
    bytesSent: tally.bytesSent,
    totalBytes: packed.totalBytes,
    packed,
  };
}
