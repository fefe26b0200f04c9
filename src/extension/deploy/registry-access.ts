import { isLoopbackHost, resolveEndpoint, RegistrySettingSchema } from '../../core/registry/endpoint';

/**
 * Whether the model server must pull from `registryHost` over plain http. The registry entry the
 * user configured for pushing (`trackside.registries`) decides; a registry with no entry is taken
 * as plain http only on loopback, where a lab registry usually runs without TLS.
 */
export function registryUsesPlainHttp(registryHost: string, registriesSetting: unknown): boolean {
  const entries = Array.isArray(registriesSetting) ? registriesSetting : [];
  for (const entry of entries) {
    const parsed = RegistrySettingSchema.safeParse(entry);
    if (!parsed.success) continue;
    try {
      const resolved = resolveEndpoint({
        url: parsed.data.url,
        plainHttpHosts: parsed.data.plainHttp ? [hostOf(parsed.data.url)] : [],
      });
      if (resolved.host.toLowerCase() === registryHost.toLowerCase()) return resolved.plainHttp;
    } catch {
      // An entry refused for plain http is not the one that pushed here.
    }
  }
  const hostname = registryHost.replace(/:\d+$/, '');
  return isLoopbackHost(hostname);
}

function hostOf(url: string): string {
  return url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/.*$/, '');
}
