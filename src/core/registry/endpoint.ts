import { isIP } from 'node:net';
import { z } from 'zod';
import { PlainHttpRefusedError } from './errors';

/**
 * Where a registry lives and how to reach it. A bare host means https; `http://` is accepted only
 * for hosts on the plain-HTTP allow-list (loopback always, others only when the user lists them),
 * because credentials and models would otherwise cross the network in the clear.
 */
export interface RegistryEndpoint {
  /** `https://registry.example.com`, `registry.example.com:5000`, or `http://127.0.0.1:5000`. */
  url: string;
  /** Extra PEM certificate(s) to trust, e.g. the registry's own CA (read from `caFile`). */
  ca?: string;
  /** Hosts (`host` or `host:port`) allowed over plain HTTP besides loopback. */
  plainHttpHosts?: readonly string[];
}

/** One entry of the `trackside.registries` setting. */
export const RegistrySettingSchema = z.object({
  name: z.string().min(1),
  url: z.string().min(1),
  /** Prepended to model names to form the repository, e.g. `team/models`. */
  repositoryPrefix: z.string().default(''),
  /** PEM file of a CA to trust for this registry (self-signed or private CA). */
  caFile: z.string().optional(),
  /** Allow plain HTTP for this registry's host (it is always allowed for loopback). */
  plainHttp: z.boolean().default(false),
});
export type RegistrySetting = z.infer<typeof RegistrySettingSchema>;

export interface ResolvedEndpoint {
  /** `https://host:port` without a trailing slash. */
  origin: string;
  /** `host:port` as users and `docker login` name it (the key of credentials). */
  host: string;
  plainHttp: boolean;
}

export function isLoopbackHost(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1';
  return false;
}

export function resolveEndpoint(endpoint: RegistryEndpoint): ResolvedEndpoint {
  const raw = endpoint.url.trim().replace(/\/+$/, '');
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new PlainHttpRefusedError(endpoint.url);
  }
  const host = url.host;
  if (url.protocol === 'http:') {
    const allowed =
      isLoopbackHost(url.hostname) ||
      (endpoint.plainHttpHosts ?? []).some(
        (h) => h.toLowerCase() === host.toLowerCase() || h.toLowerCase() === url.hostname.toLowerCase(),
      );
    if (!allowed) throw new PlainHttpRefusedError(host);
    return { origin: `http://${host}`, host, plainHttp: true };
  }
  if (url.protocol !== 'https:') throw new PlainHttpRefusedError(host);
  return { origin: `https://${host}`, host, plainHttp: false };
}

/** Whether a URL the registry sent us (upload location, token realm) may be used over its scheme. */
export function assertUrlAllowed(target: URL, endpoint: RegistryEndpoint): void {
  if (target.protocol === 'https:') return;
  if (target.protocol === 'http:') {
    const allowed =
      isLoopbackHost(target.hostname) ||
      (endpoint.plainHttpHosts ?? []).some(
        (h) => h.toLowerCase() === target.host.toLowerCase() || h.toLowerCase() === target.hostname.toLowerCase(),
      );
    if (allowed) return;
  }
  throw new PlainHttpRefusedError(target.host);
}
