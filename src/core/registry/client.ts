import { createHash } from 'node:crypto';
import { z } from 'zod';
import { RegistryAuth } from './auth';
import type { CredentialsProvider } from './credentials';
import type { RegistryEndpoint } from './endpoint';
import {
  DigestMismatchError,
  RegistryAuthError,
  RegistryNetworkError,
  RegistryNotFoundError,
  RegistryProtocolError,
  type MissingThing,
} from './errors';
import { RegistryTransport, type RegistryRequest, type RegistryResponse, type RequestBody } from './transport';
import { uploadedBytes } from './upload-range';
import { repositoryScope } from './www-authenticate';

/**
 * The OCI distribution API (v1.1) for one registry: each method is one protocol step, with the
 * authorization it needs. Upload strategy (chunks, resume, retry) lives in blob-upload.ts and push
 * orchestration in push.ts.
 */

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const MANIFEST_ACCEPT = [
  OCI_MANIFEST,
  OCI_INDEX,
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

const ErrorBodySchema = z.object({
  errors: z.array(z.object({ code: z.string(), message: z.string().optional() })).default([]),
});

export type Access = 'pull' | 'push';

export interface UploadSession {
  /** The registry's upload URL (it may carry signed state, so always use the latest one). */
  location: string;
  /** Bytes the registry holds. */
  offset: number;
}

export function sha256Digest(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export function isDigest(reference: string): boolean {
  return /^sha256:[0-9a-f]{64}$/.test(reference);
}

export interface ClientOptions {
  credentials?: CredentialsProvider;
}

export type PullAccess = { kind: 'anonymous' } | { kind: 'basic' } | { kind: 'token'; token: string };

export class OciRegistryClient {
  readonly transport: RegistryTransport;
  readonly auth: RegistryAuth;

  constructor(endpoint: RegistryEndpoint, options: ClientOptions = {}) {
    this.transport = new RegistryTransport(endpoint);
    this.auth = new RegistryAuth(this.transport, options.credentials);
  }

  get host(): string {
    return this.transport.host;
  }

  /**
   * `GET /v2/`: is this an OCI registry, and are we let in? Used by "Add Registry…" to test a
   * connection. Resolves with the auth scheme the registry uses (null: anonymous).
   */
  async checkConnection(signal?: AbortSignal): Promise<{ authScheme: string | null; username: string | undefined }> {
    const response = await this.call({ method: 'GET', url: '/v2/', signal }, undefined);
    await this.expect(response, [200], 'repository', '/v2/');
    return { authScheme: this.auth.scheme, username: this.auth.username };
  }

  /**
   * What a puller of `reference` in `repository` needs: nothing (anyone may pull it), the credentials
   * themselves (Basic), or a token the registry's token service scoped to pulling that one repository.
   * Learnt by asking for the manifest as the puller will.
   */
  async pullAccess(repository: string, reference: string, signal?: AbortSignal): Promise<PullAccess> {
    const scope = scopeOf(repository, 'pull');
    if ((await this.manifestDigest(repository, reference, signal)) === null) {
      throw new RegistryNotFoundError(this.host, 'manifest', `${repository}@${reference}`);
    }
    if (this.auth.scheme === null) return { kind: 'anonymous' };
    const token = this.auth.tokenFor(scope);
    return token ? { kind: 'token', token } : { kind: 'basic' };
  }

  /** Size of a blob the repository holds, or null when it does not. */
  async blobSize(
    repository: string,
    digest: string,
    access: Access = 'pull',
    signal?: AbortSignal,
  ): Promise<number | null> {
    const response = await this.call(
      { method: 'HEAD', url: `/v2/${repository}/blobs/${digest}`, signal },
      scopeOf(repository, access),
    );
    await this.transport.discard(response);
    if (response.status === 404) return null;
    if (response.status !== 200) await this.fail(response, 'blob', digest);
    const length = Number(response.header('content-length'));
    return Number.isFinite(length) ? length : null;
  }

  /** Starts an upload session. */
  async startUpload(repository: string, signal?: AbortSignal): Promise<UploadSession> {
    const response = await this.call(
      { method: 'POST', url: `/v2/${repository}/blobs/uploads/`, headers: { 'content-length': '0' }, signal },
      scopeOf(repository, 'push'),
    );
    await this.expect(response, [202], 'repository', repository);
    return { location: this.location(response), offset: 0 };
  }

  /**
   * Cross-repository mount: the registry links a blob it already holds under another repository,
   * with no upload. Registries that cannot mount open a normal upload session instead.
   */
  async mountBlob(
    repository: string,
    digest: string,
    from: string,
    signal?: AbortSignal,
  ): Promise<{ mounted: true } | { mounted: false; session: UploadSession }> {
    const url = `/v2/${repository}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;
    const scope = `${scopeOf(repository, 'push')} ${scopeOf(from, 'pull')}`;
    const response = await this.call({ method: 'POST', url, headers: { 'content-length': '0' }, signal }, scope);
    await this.expect(response, [201, 202], 'repository', repository);
    if (response.status === 201) {
      this.checkDigestHeader(response, digest, `mounted blob ${digest}`);
      return { mounted: true };
    }
    return { mounted: false, session: { location: this.location(response), offset: 0 } };
  }

  /** Where an upload stands; null when the registry no longer knows the session (or its state is stale). */
  async uploadStatus(repository: string, location: string, signal?: AbortSignal): Promise<UploadSession | null> {
    const response = await this.call({ method: 'GET', url: location, signal }, scopeOf(repository, 'push'));
    if (response.status === 404 || response.status === 400 || response.status === 416) {
      await this.transport.discard(response);
      return null;
    }
    await this.expect(response, [204, 200], 'upload', location);
    const offset = uploadedBytes(response.header('range'));
    if (offset === null)
      throw new RegistryProtocolError(this.host, 'upload status without a Range header', response.status);
    return { location: response.header('location') ? this.location(response) : location, offset };
  }

  /** Sends bytes [start, end) of a blob; resolves with the session the registry reports after it. */
  async patchChunk(
    repository: string,
    session: UploadSession,
    end: number,
    body: () => RequestBody,
    signal?: AbortSignal,
  ): Promise<UploadSession> {
    const response = await this.call(
      {
        method: 'PATCH',
        url: session.location,
        headers: {
          'content-type': 'application/octet-stream',
          'content-length': String(end - session.offset),
          'content-range': `${session.offset}-${end - 1}`,
        },
        body,
        signal,
      },
      scopeOf(repository, 'push'),
    );
    if (response.status === 416) {
      await this.transport.discard(response);
      throw new UploadOutOfSyncError();
    }
    await this.expect(response, [202, 204], 'upload', session.location);
    const offset = uploadedBytes(response.header('range'));
    return { location: this.location(response), offset: offset === null ? end : offset };
  }

  /** Ends an upload (optionally with its last bytes); the registry checks the digest. */
  async completeUpload(
    repository: string,
    location: string,
    digest: string,
    body?: { length: number; make: () => RequestBody },
    signal?: AbortSignal,
  ): Promise<void> {
    const url = this.transport.resolveUrl(location);
    url.searchParams.set('digest', digest);
    const response = await this.call(
      {
        method: 'PUT',
        url: url.toString(),
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(body?.length ?? 0) },
        body: body?.make,
        signal,
      },
      scopeOf(repository, 'push'),
    );
    if (response.status === 400) {
      const codes = await this.errorCodes(response);
      if (codes.includes('DIGEST_INVALID') || codes.includes('SIZE_INVALID')) {
        throw new DigestMismatchError(`blob upload ${digest}`, digest, 'content the registry computed differently');
      }
      throw new RegistryProtocolError(this.host, `completing the upload of ${digest} failed`, 400, codes);
    }
    await this.expect(response, [201, 204], 'upload', location);
    this.checkDigestHeader(response, digest, `blob ${digest}`);
  }

  async cancelUpload(repository: string, location: string): Promise<void> {
    try {
      const response = await this.call({ method: 'DELETE', url: location }, scopeOf(repository, 'push'));
      await this.transport.discard(response);
    } catch {
      // a session we abandon expires on its own
    }
  }

  /** Uploads a manifest under a tag or its digest; checks the registry computed the same digest. */
  async putManifest(
    repository: string,
    reference: string,
    bytes: Buffer,
    mediaType: string,
    signal?: AbortSignal,
  ): Promise<{ digest: string; subjectProcessed: boolean }> {
    const digest = sha256Digest(bytes);
    const response = await this.call(
      {
        method: 'PUT',
        url: `/v2/${repository}/manifests/${reference}`,
        headers: { 'content-type': mediaType, 'content-length': String(bytes.length) },
        body: () => bytes,
        signal,
      },
      scopeOf(repository, 'push'),
    );
    await this.expect(response, [201, 200, 202], 'repository', `${repository}:${reference}`);
    this.checkDigestHeader(response, digest, `manifest ${repository}:${reference}`);
    // A registry with the referrers API says so by echoing the manifest's subject (OCI 1.1).
    return { digest, subjectProcessed: response.header('oci-subject') !== undefined };
  }

  /** Digest of the manifest a tag or digest names, or null when there is none. */
  async manifestDigest(repository: string, reference: string, signal?: AbortSignal): Promise<string | null> {
    const response = await this.call(
      { method: 'HEAD', url: `/v2/${repository}/manifests/${reference}`, headers: { accept: MANIFEST_ACCEPT }, signal },
      scopeOf(repository, 'pull'),
    );
    await this.transport.discard(response);
    if (response.status === 404) return null;
    if (response.status !== 200) await this.fail(response, 'manifest', reference);
    return response.header('docker-content-digest') ?? null;
  }

  /** Fetches a manifest; when asked by digest, its bytes must hash to that digest. */
  async getManifest(
    repository: string,
    reference: string,
    signal?: AbortSignal,
  ): Promise<{ bytes: Buffer; mediaType: string; digest: string }> {
    const response = await this.call(
      { method: 'GET', url: `/v2/${repository}/manifests/${reference}`, headers: { accept: MANIFEST_ACCEPT }, signal },
      scopeOf(repository, 'pull'),
    );
    if (response.status !== 200) await this.fail(response, 'manifest', `${repository}@${reference}`);
    const bytes = await this.transport.readBytes(response, 4 * 1024 * 1024, signal);
    const digest = sha256Digest(bytes);
    if (isDigest(reference) && digest !== reference)
      throw new DigestMismatchError(`manifest ${repository}@${reference}`, reference, digest);
    const mediaType = (response.header('content-type') ?? '').split(';')[0]!.trim();
    return { bytes, mediaType, digest };
  }

  /** Opens a blob for reading; the caller hashes what it reads (see pull.ts). */
  async openBlob(repository: string, digest: string, signal?: AbortSignal): Promise<RegistryResponse> {
    const response = await this.call(
      { method: 'GET', url: `/v2/${repository}/blobs/${digest}`, signal },
      scopeOf(repository, 'pull'),
    );
    if (response.status !== 200) await this.fail(response, 'blob', digest);
    return response;
  }

  /** The referrers API's index for a subject, or null when the registry has no referrers API. */
  async referrersIndex(repository: string, digest: string, signal?: AbortSignal): Promise<Buffer | null> {
    const response = await this.call(
      { method: 'GET', url: `/v2/${repository}/referrers/${digest}`, headers: { accept: OCI_INDEX }, signal },
      scopeOf(repository, 'pull'),
    );
    const type = (response.header('content-type') ?? '').split(';')[0]!.trim();
    if (response.status !== 200 || type !== OCI_INDEX) {
      await this.transport.discard(response);
      if (response.status >= 500) throw new RegistryNetworkError(this.host, `HTTP ${response.status}`, response.status);
      return null;
    }
    return this.transport.readBytes(response, 4 * 1024 * 1024, signal);
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  /** Sends a request with authorization, answering 401 challenges as the registry asks. */
  private async call(req: RegistryRequest, scope: string | undefined): Promise<RegistryResponse> {
    for (let round = 0; ; round++) {
      const authorization = await this.auth.authorization(scope, req.signal);
      const headers = { ...req.headers, ...(authorization ? { authorization } : {}) };
      const response = await this.transport.send({ ...req, headers });
      if (response.status !== 401 || round >= 4) return response;
      await this.transport.discard(response);
      await this.auth.unauthorized(response.header('www-authenticate'), scope, authorization !== undefined);
    }
  }

  private location(response: RegistryResponse): string {
    const location = response.header('location');
    if (!location)
      throw new RegistryProtocolError(this.host, 'upload answer without a Location header', response.status);
    return new URL(location, response.url).toString();
  }

  private checkDigestHeader(response: RegistryResponse, expected: string, what: string): void {
    const reported = response.header('docker-content-digest');
    if (reported && reported !== expected) throw new DigestMismatchError(what, expected, reported);
  }

  private async expect(response: RegistryResponse, ok: number[], what: MissingThing, ref: string): Promise<void> {
    if (ok.includes(response.status)) {
      await this.transport.discard(response);
      return;
    }
    await this.fail(response, what, ref);
  }

  private async errorCodes(response: RegistryResponse): Promise<string[]> {
    try {
      const parsed = ErrorBodySchema.safeParse(JSON.parse(await this.transport.readText(response, 64 * 1024)));
      return parsed.success ? parsed.data.errors.map((e) => e.code) : [];
    } catch {
      return [];
    }
  }

  private async fail(response: RegistryResponse, what: MissingThing, ref: string): Promise<never> {
    const codes = await this.errorCodes(response);
    const status = response.status;
    if (status === 404) throw new RegistryNotFoundError(this.host, what, ref);
    if (status === 401 || status === 403) {
      throw new RegistryAuthError(this.host, this.auth.username, status, status === 403 ? 'access denied' : undefined);
    }
    if (status >= 500 || status === 429 || status === 408) {
      throw new RegistryNetworkError(
        this.host,
        `HTTP ${status}${codes.length ? ` (${codes.join(', ')})` : ''}`,
        status,
      );
    }
    throw new RegistryProtocolError(this.host, `unexpected HTTP ${status} for ${ref}`, status, codes);
  }
}

/** The registry refused a chunk's offset (416): the session must be re-read or restarted. */
export class UploadOutOfSyncError extends Error {
  constructor() {
    super('the registry holds a different number of bytes than the upload assumed');
    this.name = 'UploadOutOfSyncError';
  }
}

function scopeOf(repository: string, access: Access): string {
  return repositoryScope(repository, access === 'push' ? ['pull', 'push'] : ['pull']);
}
