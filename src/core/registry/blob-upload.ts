import { createReadStream } from 'node:fs';
import { UploadOutOfSyncError, type OciRegistryClient, type UploadSession } from './client';
import { PushCancelledError } from './errors';
import { backoffDelay, isRetryable, sleep, withRetry, type RetryPolicy } from './retry';
import type { RequestBody } from './transport';
import type { UploadKey, UploadStateStore } from './upload-state';

/**
 * Gets one blob into a repository with the fewest bytes on the wire: skip it when the repository
 * has it, mount it from a sibling repository, send a small one in a single PUT, and stream a large
 * one from disk in chunks whose progress is saved, so an interruption costs at most the chunk in
 * flight. After a failure the registry is asked where the upload stands (`GET` upload URL →
 * `Range`) and the upload continues from there.
 *
 * The CNCF distribution registry signs the offset into its upload URL and refuses a URL whose
 * offset no longer matches what it stored. A connection cut in the middle of a PATCH leaves part
 * of that chunk stored, so that session cannot be continued by anyone; the uploader then starts
 * the blob over (counted in `restarts`). Registries that report the real offset, and cuts that
 * happen between chunks or in front of a buffering proxy, resume.
 */

export type BlobSource = { bytes: Buffer } | { path: string };

export interface BlobToUpload {
  digest: string;
  size: number;
  source: BlobSource;
}

export type BlobOutcome = 'exists' | 'mounted' | 'uploaded' | 'resumed';

export interface BlobUploadReport {
  digest: string;
  size: number;
  outcome: BlobOutcome;
  /** Body bytes put on the wire for this blob, including any chunk that was cut off and resent. */
  bytesSent: number;
  /** Offset an earlier, interrupted upload had reached when this one continued it. */
  resumedFrom: number | null;
  /** Upload sessions the registry could not continue, so the blob was started over. */
  restarts: number;
}

export interface BlobUploadOptions {
  states: UploadStateStore;
  retry: RetryPolicy;
  /** Bytes per PATCH; also what one interruption can cost at most. */
  chunkSize: number;
  /** Blobs up to this size go as one PUT (after the POST that opens the session). */
  monolithicMax: number;
  /** Repositories on the same registry that may hold the blob already (cross-repository mount). */
  mountFrom: readonly string[];
  signal?: AbortSignal;
  /** Position reached in this blob (confirmed plus in flight), and bytes sent since the last call. */
  onProgress?: (position: number, sentDelta: number) => void;
}

export const DEFAULT_CHUNK_SIZE = 64 * 1024 * 1024;
export const DEFAULT_MONOLITHIC_MAX = 8 * 1024 * 1024;
// Over node:http, 256 KiB reads kept the socket as fed as 64 KiB ones with a fifth less CPU (fewer
// read and write calls), which is what the upload competes for beside the registry.
const READ_BUFFER = 256 * 1024;

export async function uploadBlob(
  client: OciRegistryClient,
  repository: string,
  blob: BlobToUpload,
  options: BlobUploadOptions,
): Promise<BlobUploadReport> {
  const report: BlobUploadReport = {
    digest: blob.digest,
    size: blob.size,
    outcome: 'uploaded',
    bytesSent: 0,
    resumedFrom: null,
    restarts: 0,
  };
  const signal = options.signal;
  const key = { registry: client.host, repository, digest: blob.digest };

  const existing = await withRetry(options.retry, signal, () =>
    client.blobSize(repository, blob.digest, 'push', signal),
  );
  if (existing !== null) {
    await options.states.remove(key);
    options.onProgress?.(blob.size, 0);
    return { ...report, outcome: 'exists' };
  }
  const loaded = await options.states.load(key);
  const saved = loaded && loaded.size === blob.size ? loaded : null;

  let session: UploadSession | null = null;
  if (!saved) {
    for (const from of options.mountFrom) {
      if (from === repository) continue;
      const mount = await withRetry(options.retry, signal, () =>
        client.mountBlob(repository, blob.digest, from, signal),
      );
      if (mount.mounted) {
        options.onProgress?.(blob.size, 0);
        return { ...report, outcome: 'mounted' };
      }
      if (session) await client.cancelUpload(repository, session.location);
      session = mount.session;
    }
  }

  const body = (start: number, end: number, base: number) => () =>
    readBlob(blob.source, start, end, base, report, options);

  if (blob.size <= options.monolithicMax && !saved) {
    await withRetry(options.retry, signal, async () => {
      const open = session ?? (await client.startUpload(repository, signal));
      session = null; // a failed PUT may have consumed it: open a fresh one on retry
      await client.completeUpload(
        repository,
        open.location,
        blob.digest,
        { length: blob.size, make: body(0, blob.size, 0) },
        signal,
      );
    });
    return report;
  }

  return uploadInChunks(
    client,
    repository,
    { key, size: blob.size, digest: () => blob.digest },
    options,
    report,
    session,
    saved ? { location: saved.location, offset: saved.offset } : null,
    body,
  );
}

/** A blob sent in chunks: where its progress is kept, and its digest once every byte went out. */
export interface ChunkedBlob {
  key: UploadKey;
  size: number;
  /** Asked for after the last chunk (a blob hashed while it uploads may know it only then). */
  digest: () => string | Promise<string>;
}

/** The body of bytes [start, end) of a blob, counted from `base` in progress reports. */
export type ChunkBody = (start: number, end: number, base: number) => () => RequestBody;

export async function uploadInChunks(
  client: OciRegistryClient,
  repository: string,
  blob: ChunkedBlob,
  options: BlobUploadOptions,
  report: BlobUploadReport,
  fresh: UploadSession | null,
  saved: UploadSession | null,
  body: ChunkBody,
): Promise<BlobUploadReport> {
  const signal = options.signal;
  const key = blob.key;
  const persist = (s: UploadSession) =>
    options.states.save({
      version: 1,
      ...key,
      size: blob.size,
      location: s.location,
      offset: s.offset,
      updatedAt: new Date().toISOString(),
    });

  let session = fresh;
  /** When set, the registry is asked where the upload stands before sending more. */
  let check: UploadSession | null = saved;
  let failures = 0;
  for (;;) {
    try {
      if (check) {
        const status = await client.uploadStatus(repository, check.location, signal);
        check = null;
        if (status === null || status.offset > blob.size) {
          report.restarts++;
          session = null;
        } else {
          if (status.offset > 0) report.resumedFrom = status.offset;
          session = status;
        }
      }
      if (!session) {
        session = await client.startUpload(repository, signal);
        await persist(session);
      }
      while (session.offset < blob.size) {
        const end = Math.min(blob.size, session.offset + options.chunkSize);
        session = await client.patchChunk(repository, session, end, body(session.offset, end, session.offset), signal);
        await persist(session);
        failures = 0;
      }
      await client.completeUpload(repository, session.location, await blob.digest(), undefined, signal);
      await options.states.remove(key);
      if (report.resumedFrom !== null) report.outcome = 'resumed';
      return report;
    } catch (error) {
      if (error instanceof PushCancelledError) throw error;
      const outOfSync = error instanceof UploadOutOfSyncError;
      if (!outOfSync && !isRetryable(error)) throw error;
      failures++;
      if (failures >= options.retry.attempts) throw error;
      if (!outOfSync) await sleep(backoffDelay(options.retry, failures), signal);
      if (session) check = session;
    }
  }
}

/** Streams bytes [start, end) of a blob, counting what goes out and stopping on cancel. */
export async function* readBlob(
  source: BlobSource,
  start: number,
  end: number,
  base: number,
  report: BlobUploadReport,
  options: BlobUploadOptions,
): AsyncIterable<Uint8Array> {
  let position = base;
  const count = (n: number) => {
    position += n;
    report.bytesSent += n;
    options.onProgress?.(position, n);
  };
  if ('bytes' in source) {
    const piece = source.bytes.subarray(start, end);
    count(piece.length);
    yield piece;
    return;
  }
  if (end <= start) return;
  const stream = createReadStream(source.path, { start, end: end - 1, highWaterMark: READ_BUFFER });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (options.signal?.aborted) throw new PushCancelledError();
      count(chunk.length);
      yield chunk;
    }
  } finally {
    stream.destroy();
  }
}
