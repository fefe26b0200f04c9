import { request as httpRequest } from 'node:http';
import { DeployError } from '../errors';

export interface LibpodResponse {
  status: number;
  body: Buffer;
}

/** The libpod REST API version prefix; Podman 4.x and 5.x both answer it. */
const apiPrefix = '/v4.0.0/libpod';

/**
 * A small client for Podman's libpod REST API over TCP (`http://host:port`) or a unix socket
 * (`unix:///run/podman/podman.sock`). Node's fetch cannot use unix sockets, so this speaks node:http.
 */
export class LibpodClient {
  private readonly socketPath?: string;
  private readonly host?: string;
  private readonly port?: number;

  constructor(readonly address: string) {
    if (address.startsWith('unix://')) {
      this.socketPath = address.slice('unix://'.length);
    } else {
      const url = new URL(address.startsWith('tcp://') ? `http://${address.slice(6)}` : address);
      if (url.protocol !== 'http:') {
        throw new DeployError(
          'invalid-request',
          `Podman API address ${address} must be http://host:port or unix:///path`,
        );
      }
      this.host = url.hostname;
      this.port = Number(url.port || 80);
    }
  }

  /** The host a container on the host network is reached at, as seen from this machine. */
  get reachableHost(): string {
    return this.host && this.host !== '0.0.0.0' ? this.host : '127.0.0.1';
  }

  request(
    method: string,
    path: string,
    options: { body?: string; contentType?: string; signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<LibpodResponse> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          method,
          path: `${apiPrefix}${path}`,
          ...(this.socketPath ? { socketPath: this.socketPath } : { host: this.host, port: this.port }),
          // One connection per request: a kept-alive socket would hold the CLI (and Podman's shutdown) open.
          agent: false,
          headers: {
            Host: 'd',
            Connection: 'close',
            ...(options.body !== undefined
              ? {
                  'Content-Type': options.contentType ?? 'application/json',
                  'Content-Length': Buffer.byteLength(options.body),
                }
              : {}),
          },
          signal: options.signal,
          timeout: options.timeoutMs ?? 120_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer from Podman at ${this.address} in time`)));
      req.on('error', (error) => {
        if (options.signal?.aborted) {
          reject(new DeployError('aborted', 'cancelled', [], { cause: error }));
          return;
        }
        reject(
          new DeployError(
            'target-unreachable',
            `cannot reach the Podman API at ${this.address}: ${error.message}`,
            [],
            {
              cause: error,
            },
          ),
        );
      });
      if (options.body !== undefined) req.write(options.body);
      req.end();
    });
  }

  /** Parses a JSON answer, turning a libpod error body into a DeployError. */
  async json(
    method: string,
    path: string,
    options: { body?: string; contentType?: string; signal?: AbortSignal } = {},
  ): Promise<{ status: number; value: unknown }> {
    const response = await this.request(method, path, options);
    const text = response.body.toString('utf8');
    let value: unknown;
    try {
      value = text ? JSON.parse(text) : undefined;
    } catch {
      throw new DeployError(
        'target-error',
        `Podman answered ${method} ${path} with ${response.status}: ${text.slice(0, 300)}`,
      );
    }
    return { status: response.status, value };
  }
}

/**
 * Container logs come as Docker's multiplexed stream: frames of an 8-byte header (stream id, 3 zero
 * bytes, big-endian length) and a payload. Lines from stdout and stderr are kept in arrival order.
 */
export function demultiplexLogs(raw: Buffer): string {
  if (raw.length >= 8 && raw[0]! <= 2 && raw[1] === 0 && raw[2] === 0 && raw[3] === 0) {
    const parts: Buffer[] = [];
    let offset = 0;
    while (offset + 8 <= raw.length) {
      const length = raw.readUInt32BE(offset + 4);
      parts.push(raw.subarray(offset + 8, offset + 8 + length));
      offset += 8 + length;
    }
    return Buffer.concat(parts).toString('utf8');
  }
  return raw.toString('utf8');
}
