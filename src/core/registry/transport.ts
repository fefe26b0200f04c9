import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { rootCertificates } from 'node:tls';
import { Agent, request } from 'undici';
import { assertUrlAllowed, resolveEndpoint, type RegistryEndpoint, type ResolvedEndpoint } from './endpoint';
import {
  PushCancelledError,
  RegistryNetworkError,
  RegistryTlsError,
  type CertificateProblem,
  type RegistryError,
} from './errors';

/**
 * HTTP to one registry: keep-alive connection pools per registry, the user's CA added to the system
 * roots, and socket/TLS failures turned into typed errors. Nothing here logs: headers carry
 * credentials.
 *
 * Requests go over undici, except those whose body is streamed (blob chunks): on loopback undici
 * sent 1 GiB in 5.6–6.7 s where node:http, fed the same 64 KiB reads, took 3.5 s (curl: 3.7 s).
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

/** A response body: read it (async iteration, or as a stream source), or drop it. */
export interface ResponseBody extends AsyncIterable<Buffer> {
  /** Reads and discards the rest, so the connection can be reused. */
  dump(): Promise<void>;
  destroy(): void;
}

export interface RegistryResponse {
  status: number;
  url: URL;
  header(name: string): string | undefined;
  body: ResponseBody;
}

/** How long a registry may take to answer a request (a big chunk is written out before it answers). */
const RESPONSE_TIMEOUT_MS = 120_000;

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

/** A node:http response as a `ResponseBody`. */
function nodeResponseBody(response: IncomingMessage): ResponseBody {
  return {
    [Symbol.asyncIterator]: () => response[Symbol.asyncIterator](),
    dump: () =>
      new Promise<void>((resolve) => {
        if (response.readableEnded || response.destroyed) return resolve();
        response.once('end', resolve);
        response.once('close', resolve);
        response.resume();
      }),
    destroy: () => response.destroy(),
  };
}

export class RegistryTransport {
  readonly resolved: ResolvedEndpoint;
  private readonly dispatcher: Agent;
  private readonly ca: string[] | undefined;
  /** Keep-alive pools of the streaming requests, one per scheme, made on first use. */
  private readonly streamingAgents = new Map<string, HttpAgent>();

  constructor(readonly endpoint: RegistryEndpoint) {
    this.resolved = resolveEndpoint(endpoint);
    const ca = endpoint.ca ? [...rootCertificates, endpoint.ca] : undefined;
    this.ca = ca;
    this.dispatcher = new Agent({
      connect: ca ? { ca } : {},
      // Big chunks take a while to be written out by the registry before it answers.
      headersTimeout: RESPONSE_TIMEOUT_MS,
      bodyTimeout: RESPONSE_TIMEOUT_MS,
      keepAliveTimeout: 10_000,
    });
  }

  private streamingAgent(protocol: string): HttpAgent {
    let agent = this.streamingAgents.get(protocol);
    if (!agent) {
      const options = { keepAlive: true, keepAliveMsecs: 10_000 };
      agent = protocol === 'https:' ? new HttpsAgent({ ...options, ca: this.ca }) : new HttpAgent(options);
      this.streamingAgents.set(protocol, agent);
    }
    return agent;
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
    const body = req.body?.();
    if (body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body)) {
      return this.sendStreaming(url, req, body);
    }
    try {
      const response = await request(url, {
        method: req.method,
        headers: req.headers,
        body,
        signal: req.signal,
        dispatcher: this.dispatcher,
      });
      const headers = response.headers;
      return {
        status: response.statusCode,
        url,
        body: response.body as ResponseBody,
        header(name) {
          const value = headers[name.toLowerCase()];
          return Array.isArray(value) ? value.join(', ') : value;
        },
      };
    } catch (error) {
      throw classifyRequestError(this.host, error, req.signal);
    }
  }

  /** A request whose body is streamed, over node:http(s) (see above). */
  private sendStreaming(url: URL, req: RegistryRequest, body: AsyncIterable<Uint8Array>): Promise<RegistryResponse> {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<RegistryResponse>((resolve, reject) => {
      let answered = false;
      const fail = (error: unknown) => {
        if (answered) return;
        answered = true;
        reject(classifyRequestError(this.host, error, req.signal));
      };
      const outgoing = send(url, {
        method: req.method,
        headers: req.headers,
        agent: this.streamingAgent(url.protocol),
        signal: req.signal,
      });
      outgoing.setTimeout(RESPONSE_TIMEOUT_MS, () =>
        outgoing.destroy(Object.assign(new Error('the registry did not answer in time'), { code: 'ETIMEDOUT' })),
      );
      // Errors after the answer (the rest of a body the registry refused) have nothing left to fail.
      outgoing.on('error', fail);
      outgoing.once('response', (response) => {
        answered = true;
        // Read errors reach whoever iterates the body; one nobody reads must not crash the process.
        response.on('error', () => undefined);
        resolve({
          status: response.statusCode ?? 0,
          url,
          body: nodeResponseBody(response),
          header(name) {
            const value = response.headers[name.toLowerCase()];
            return Array.isArray(value) ? value.join(', ') : value;
          },
        });
      });
      // A registry may answer (401, 416) before the body is through; then the rest is not needed.
      pipeline(Readable.from(body, { objectMode: false }), outgoing).catch(fail);
    });
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
    for (const agent of this.streamingAgents.values()) agent.destroy();
    await this.dispatcher.close();
  }
}
