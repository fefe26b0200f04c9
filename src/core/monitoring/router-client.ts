import { request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { DeployError } from '../deploy/errors';
import type { RouteSpec } from '../deploy/runtime-command';

/** The admin side of router.py: its route table, read and replaced while it serves. */

const RouteStateSchema = z.object({
  slot: z.string(),
  url: z.string(),
  version: z.string(),
  weight: z.number(),
  inflight: z.number(),
  requests: z.number(),
});
export type RouteState = z.infer<typeof RouteStateSchema>;

const RouteTableSchema = z.object({ routes: z.array(RouteStateSchema), retired: z.array(RouteStateSchema) });
export type RouteTable = z.infer<typeof RouteTableSchema>;

export class RouterClient {
  constructor(
    readonly endpoint: string,
    private readonly adminToken: string,
  ) {}

  /**
   * One admin call on a connection of its own. Right after the router joins a port, a kept-alive
   * connection would go on reaching the model server that held the port before it.
   */
  private async call(method: 'GET' | 'PUT', body?: unknown, signal?: AbortSignal): Promise<RouteTable> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    let answer: { status: number; text: string };
    try {
      answer = await new Promise((resolve, reject) => {
        const req = httpRequest(
          new URL('/-/routes', this.endpoint),
          {
            method,
            agent: false,
            timeout: 10_000,
            headers: {
              Authorization: `Bearer ${this.adminToken}`,
              Connection: 'close',
              ...(payload === undefined
                ? {}
                : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }),
            },
            ...(signal ? { signal } : {}),
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
            res.on('error', reject);
          },
        );
        req.on('timeout', () => req.destroy(new Error('no answer in time')));
        req.on('error', reject);
        req.end(payload);
      });
    } catch (error) {
      throw new DeployError('target-unreachable', `cannot reach the router at ${this.endpoint}: ${String(error)}`, [], {
        cause: error,
      });
    }
    const parsed = answer.status === 200 ? RouteTableSchema.safeParse(safeJson(answer.text)) : undefined;
    if (!parsed?.success) {
      throw new DeployError(
        'target-error',
        `the router at ${this.endpoint} answered ${answer.status} to ${method} /-/routes: ${answer.text.slice(0, 300)}`,
      );
    }
    return parsed.data;
  }

  routes(signal?: AbortSignal): Promise<RouteTable> {
    return this.call('GET', undefined, signal);
  }

  setRoutes(routes: RouteSpec[], signal?: AbortSignal): Promise<RouteTable> {
    return this.call('PUT', { routes }, signal);
  }

  /**
   * Asks until the router itself answers on its port. Right after it joined the port of the model
   * server it replaces, either of the two may take a connection; only the router knows /-/routes.
   */
  async waitUntilAnswering(
    timeoutMs: number,
    stillRunning: () => Promise<boolean>,
    signal?: AbortSignal,
  ): Promise<RouteTable> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await this.routes(signal);
      } catch (error) {
        if (signal?.aborted || Date.now() > deadline) throw error;
        if (!(await stillRunning())) {
          throw new DeployError('container-exited', `the router for ${this.endpoint} stopped before it answered`);
        }
      }
      await sleep(100, undefined, { signal });
    }
  }

  /** Waits until the backend at `url` has no request in flight (it gets no new one once out of the table). */
  async waitUntilDrained(url: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const table = await this.routes(signal);
      const busy = [...table.routes, ...table.retired].some((r) => r.url === url && r.inflight > 0);
      if (!busy) return;
      if (Date.now() > deadline) {
        throw new DeployError(
          'target-error',
          `the backend at ${url} still had requests in flight after ${timeoutMs} ms`,
        );
      }
      await sleep(50, undefined, { signal });
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
