import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readBlob, uploadInChunks, type BlobUploadOptions, type BlobUploadReport } from './blob-upload';
import type { OciRegistryClient } from './client';
import { PushCancelledError } from './errors';
import type { RequestBody } from './transport';

/**
 * Uploads a file whose digest is not known yet, hashing the bytes as they go out: the file is read
 * once instead of twice (hashing 1 GiB first took 1.7 s of a 5 s push; hashed on the way, with the
 * CPU's SHA instructions, it costs about half a second of CPU while the bytes travel). OCI allows this: a chunked upload names its
 * digest only in the closing PUT, and the registry checks it, so a file changed meanwhile fails
 * that check rather than landing under a wrong digest. (A worker thread hashing the file beside
 * the upload was measured too: it reads the file twice and was slower.)
 *
 * Without a digest there is nothing to ask the registry about beforehand (HEAD, mount), so this is
 * for files the hash cache has never seen. Progress is saved under the file's identity (path, size,
 * modification time), so a push cut off half-way continues next time: the bytes the registry holds
 * are hashed again from disk, and the rest is sent.
 */

export interface UnhashedFile {
  path: string;
  size: number;
  /** Changes whenever the file's content may have: saved progress of another version is not reused. */
  identity: string;
}

/**
 * The running sha256 of a file sent in order, chunk by chunk. A chunk that is sent again (after a
 * failure, or an auth challenge that replays the request) rewinds to the copy kept at its start;
 * an upload that continues elsewhere (an offset the registry reports) hashes the bytes before it
 * from disk.
 */
export class StreamingDigest {
  private hash: Hash = createHash('sha256');
  private position = 0;
  private mark: { at: number; hash: Hash } | null = null;

  constructor(readonly path: string) {}

  /** Makes the hash stand at `offset`, before the bytes from there are fed. */
  async seek(offset: number, signal?: AbortSignal): Promise<void> {
    if (this.position === offset) {
      this.mark = { at: offset, hash: this.hash.copy() };
      return;
    }
    if (this.mark?.at === offset) {
      this.hash = this.mark.hash.copy();
      this.position = offset;
      return;
    }
    this.hash = createHash('sha256');
    this.position = 0;
    if (offset > 0) {
      const stream = createReadStream(this.path, { start: 0, end: offset - 1, highWaterMark: 1024 * 1024 });
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          if (signal?.aborted) throw new PushCancelledError();
          this.feed(chunk);
        }
      } finally {
        stream.destroy();
      }
    }
    this.mark = { at: offset, hash: this.hash.copy() };
  }

  feed(bytes: Uint8Array): void {
    this.hash.update(bytes);
    this.position += bytes.length;
  }

  /** `sha256:<hex>` of the first `size` bytes; the hash must stand exactly there. */
  digest(size: number): string {
    if (this.position !== size) throw new UploadHashIncompleteError(this.position, size);
    return `sha256:${this.hash.copy().digest('hex')}`;
  }
}

/** Uploads `file` in chunks while hashing it; resolves with its digest, which the registry confirmed. */
export async function uploadWhileHashing(
  client: OciRegistryClient,
  repository: string,
  file: UnhashedFile,
  options: BlobUploadOptions,
): Promise<{ digest: string; report: BlobUploadReport }> {
  const key = { registry: client.host, repository, digest: `file:${file.identity}` };
  const report: BlobUploadReport = {
    digest: '',
    size: file.size,
    outcome: 'uploaded',
    bytesSent: 0,
    resumedFrom: null,
    restarts: 0,
  };
  const loaded = await options.states.load(key);
  const saved = loaded && loaded.size === file.size ? { location: loaded.location, offset: loaded.offset } : null;
  const running = new StreamingDigest(file.path);
  const body = (start: number, end: number, base: number) => (): RequestBody =>
    hashedRead(running, file.path, start, end, base, report, options);
  await uploadInChunks(
    client,
    repository,
    { key, size: file.size, digest: () => running.digest(file.size) },
    options,
    report,
    null,
    saved,
    body,
  );
  const digest = running.digest(file.size);
  return { digest, report: { ...report, digest } };
}

async function* hashedRead(
  running: StreamingDigest,
  path: string,
  start: number,
  end: number,
  base: number,
  report: BlobUploadReport,
  options: BlobUploadOptions,
): AsyncIterable<Uint8Array> {
  await running.seek(start, options.signal);
  for await (const chunk of readBlob({ path }, start, end, base, report, options)) {
    running.feed(chunk);
    yield chunk;
  }
}

/** The closing PUT was reached with bytes of the file not hashed: a fault in the chunk loop. */
export class UploadHashIncompleteError extends Error {
  readonly reason = 'incomplete';
  constructor(
    readonly hashed: number,
    readonly size: number,
  ) {
    super(`the upload hashed ${hashed} of ${size} bytes of the file`);
    this.name = 'UploadHashIncompleteError';
  }
}
