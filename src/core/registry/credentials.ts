import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

export interface RegistryCredentials {
  username: string;
  /** A password or an access token; never logged, never put in an error message. */
  password: string;
}

/**
 * Where the client gets credentials for a registry host (`host:port`). The editor implements it over
 * SecretStorage and prompts; the CLI over flags and `~/.docker/config.json`.
 */
export interface CredentialsProvider {
  getCredentials(registryHost: string): Promise<RegistryCredentials | undefined>;
  /**
   * Called when the registry refused the credentials (or asked for some and there were none). Return
   * new credentials to try once more — e.g. after asking the user — or undefined to give up.
   */
  onAuthFailed?(registryHost: string, username: string | undefined): Promise<RegistryCredentials | undefined>;
}

export class StaticCredentials implements CredentialsProvider {
  constructor(private readonly credentials: RegistryCredentials | undefined) {}

  async getCredentials(): Promise<RegistryCredentials | undefined> {
    return this.credentials;
  }
}

/** Asks each provider in turn; the first that knows the host wins. */
export function chainCredentials(...providers: CredentialsProvider[]): CredentialsProvider {
  return {
    async getCredentials(host) {
      for (const provider of providers) {
        const found = await provider.getCredentials(host);
        if (found) return found;
      }
      return undefined;
    },
    async onAuthFailed(host, username) {
      for (const provider of providers) {
        if (!provider.onAuthFailed) continue;
        const found = await provider.onAuthFailed(host, username);
        if (found) return found;
      }
      return undefined;
    },
  };
}

const DockerConfigSchema = z.object({
  auths: z
    .record(
      z.string(),
      z.object({
        auth: z.string().optional(),
        username: z.string().optional(),
        password: z.string().optional(),
        identitytoken: z.string().optional(),
      }),
    )
    .optional(),
  credHelpers: z.record(z.string(), z.string()).optional(),
  credsStore: z.string().optional(),
});

/** The Docker CLI's config file: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
}

/** `https://host:5000/v1/` and `host:5000` name the same registry; Docker Hub has several spellings. */
export function normalizeRegistryKey(key: string): string {
  const host = key
    .trim()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}

/**
 * Reads `auths` of the Docker config (the base64 `user:password` written by `docker login`).
 * Credential helpers (`credHelpers`, `credsStore`) are external programs that Trackside does not
 * run; a host served only by one gets a note instead of credentials.
 */
export class DockerConfigCredentials implements CredentialsProvider {
  /** Why a host got no credentials from this file, for the user to read. */
  readonly notes: string[] = [];
  private loaded: z.infer<typeof DockerConfigSchema> | null | undefined;

  constructor(private readonly path = dockerConfigPath()) {}

  private async load(): Promise<z.infer<typeof DockerConfigSchema> | null> {
    if (this.loaded !== undefined) return this.loaded;
    try {
      const parsed = DockerConfigSchema.safeParse(JSON.parse(await readFile(this.path, 'utf8')));
      if (!parsed.success) this.notes.push(`${this.path} is not a valid Docker config file; it was ignored`);
      this.loaded = parsed.success ? parsed.data : null;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.notes.push(`${this.path} could not be read (${(error as Error).message}); it was ignored`);
      }
      this.loaded = null;
    }
    return this.loaded;
  }

  async getCredentials(registryHost: string): Promise<RegistryCredentials | undefined> {
    const config = await this.load();
    if (!config) return undefined;
    const wanted = normalizeRegistryKey(registryHost);
    for (const [key, entry] of Object.entries(config.auths ?? {})) {
      if (normalizeRegistryKey(key) !== wanted) continue;
      if (entry.auth) {
        const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
      }
      if (entry.username && entry.password) return { username: entry.username, password: entry.password };
      if (entry.identitytoken) {
        this.notes.push(`${this.path} holds an identity token for ${registryHost}, which Trackside does not use`);
      }
    }
    const helper =
      Object.entries(config.credHelpers ?? {}).find(([key]) => normalizeRegistryKey(key) === wanted)?.[1] ??
      config.credsStore;
    if (helper) {
      this.notes.push(
        `${this.path} keeps the credentials for ${registryHost} in the "docker-credential-${helper}" helper, which Trackside does not run; sign in through Trackside instead`,
      );
    }
    return undefined;
  }
}
