import { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import { Agent, request, type Dispatcher } from 'undici';
import { assertUrlAllowed, resolveEndpoint, type RegistryEndpoint, type ResolvedEndpoint } from './endpoint';
import {
  PushCancelledError,
  RegistryNetworkError,
  RegistryTlsError,
  type CertificateProblem,
  type RegistryError,
} from './errors';

/**
 * HTTP to one registry over undici: one keep-alive connection pool per registry, the user's CA added
 * to the system roots, and socket/TLS failures turned into typed errors. Nothing here logs: headers
 * carry credentials.
 */

export type RequestBody = Buffer | string | AsyncIterable<Uint8Array>;

export interface RegistryRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** A path under the registry origin (`/v2/…`) or an absolute URL the registry gave us. */
  url: string;
  headers?: Record<string, string>;
  /** Made anew for every attempt, so a request can be replayed after an auth challenge. */
  body?: () => RequestBody;
  signal?: AbortSignal;
}

export interface RegistryResponse {
  status: number;
  url: URL;
  header(name: string): string | undefined;
  body: Dispatcher.ResponseData['body'];
}

const TLS_PROBLEMS: Record<string, CertificateProblem> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'unknown-ca',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unknown-ca',
  UNABLE_TO_GET_ISSUER_CERT: 'unknown-ca',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unknown-ca',
  CERT_UNTRUSTED: 'unknown-ca',
  ERR_TLS_CERT_ALTNAME_INVALID: 'hostname-mismatch',
  HOSTNAME_MISMATCH: 'hostname-mismatch',
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'not-yet-valid',
  CERT_REVOKED: 'revoked',
  EPROTO: 'handshake-failed',
  ERR_SSL_WRONG_VERSION_NUMBER: 'handshake-failed',
};

function errorCode(error: unknown): string | undefined {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; depth++) {
    if (typeof e.code === 'string') {
      // undici wraps the socket error; the innermost code is the one that names the problem.
      const inner = errorCode(e.cause);
      return inner ?? e.code;
    }
    e = e.cause as typeof e;
  }
  return undefined;
}

function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  if (signal?.aborted) return true;
  const e = error as { name?: string; code?: string };
  return e?.name === 'AbortError' || e?.code === 'UND_ERR_ABORTED';
}

/** Maps a failed request to the typed error a user can act on. */
export function classifyRequestError(registry: string, error: unknown, signal?: AbortSignal): RegistryError {
  if (isAbort(error, signal)) return new PushCancelledError();
  const code = errorCode(error);
  if (code && (TLS_PROBLEMS[code] || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'))) {
    return new RegistryTlsError(registry, TLS_PROBLEMS[code] ?? 'handshake-failed', code);
  }
  const message = (error as Error)?.message ?? String(error);
  return new RegistryNetworkError(registry, code ? `${code}: ${message}` : message, code);
}

function toBody(body: RequestBody | undefined): Buffer | string | Readable | undefined {
  if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) return body;
  return Readable.from(body, { objectMode: false });
}

export class RegistryTransport {
  readonly resolved: ResolvedEndpoint;
  private readonly dispatcher: Agent;

  constructor(readonly endpoint: RegistryEndpoint) {
    this.resolved = resolveEndpoint(endpoint);
    this.dispatcher = new Agent({
      connect: endpoint.ca ? { ca: [...rootCertificates, endpoint.ca] } : {},
      // Big chunks take a while to be written out by the registry before it answers.
      headersTimeout: 120_000,
      bodyTimeout: 120_000,
      keepAliveTimeout: 10_000,
    });
  }

  get host(): string {
    return this.resolved.host;
  }

  resolveUrl(url: string): URL {
    const target = new URL(url, `${this.resolved.origin}/`);
    assertUrlAllowed(target, this.endpoint);
    return target;
  }

  async send(req: RegistryRequest): Promise<RegistryResponse> {
    const url = this.resolveUrl(req.url);
    try {
      const response = await request(url, {
        method: req.method,
        headers: req.headers,
        body: toBody(req.body?.()),
        signal: req.signal,
        dispatcher: this.dispatcher,
      });
      const headers = response.headers;
      return {
        status: response.statusCode,
        url,
        body: response.body,
        header(name) {
          const value = headers[name.toLowerCase()];
          return Array.isArray(value) ? value.join(', ') : value;
        },
      };
    } catch (error) {
      throw classifyRequestError(this.host, error, req.signal);
    }
  }

  /** Reads a response body as text, bounded: registries answer small JSON documents. */
  async readText(response: RegistryResponse, limit = 8 * 1024 * 1024, signal?: AbortSignal): Promise<string> {
    return (await this.readBytes(response, limit, signal)).toString('utf8');
  }

  /** Reads a whole response body, refusing one larger than `limit`. */
  async readBytes(response: RegistryResponse, limit: number, signal?: AbortSignal): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > limit) {
          response.body.destroy();
          throw new RegistryNetworkError(this.host, `response larger than ${limit} bytes`, undefined);
        }
        chunks.push(chunk);
      }
    } catch (error) {
      if (error instanceof RegistryNetworkError) throw error;
      throw classifyRequestError(this.host, error, signal);
    }
    return Buffer.concat(chunks);
  }

  /** Discards a body we do not need, so the connection goes back to the pool. */
  async discard(response: RegistryResponse): Promise<void> {
    try {
      await response.body.dump();
    } catch {
      // the connection is closed instead; nothing to report
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}
