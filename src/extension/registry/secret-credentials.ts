import { z } from 'zod';
import {
  normalizeRegistryKey,
  type CredentialsProvider,
  type RegistryCredentials,
} from '../../core/registry/credentials';

/**
 * Registry credentials kept in the editor's SecretStorage (the OS keychain on desktop), one entry per
 * registry host. Nothing is written to settings. The user is asked on the first 401 (and again when
 * the registry refuses what was given); what the user typed is kept only once the registry accepted
 * it — {@link SecretStorageCredentials.saveAccepted} is called after a successful push or
 * connection test — so a mistyped password never lingers.
 */

/** The slice of `vscode.SecretStorage` this needs, so it can be exercised without an editor. */
export interface SecretStore {
  get(key: string): Thenable<string | undefined>;
  store(key: string, value: string): Thenable<void>;
  delete(key: string): Thenable<void>;
}

/** Asks the user for credentials; undefined when the user cancelled. */
export interface CredentialsPrompt {
  ask(request: {
    host: string;
    username: string | undefined;
    refused: boolean;
  }): Promise<RegistryCredentials | undefined>;
}

const StoredCredentialsSchema = z.object({ username: z.string().min(1), password: z.string() });

export function secretKey(registryHost: string): string {
  return `trackside.registry.credentials/${normalizeRegistryKey(registryHost)}`;
}

export class SecretStorageCredentials implements CredentialsProvider {
  /** Entered during this operation and not yet confirmed by the registry. */
  private readonly entered = new Map<string, RegistryCredentials>();

  constructor(
    private readonly secrets: SecretStore,
    private readonly prompt: CredentialsPrompt,
  ) {}

  async getCredentials(registryHost: string): Promise<RegistryCredentials | undefined> {
    const pending = this.entered.get(normalizeRegistryKey(registryHost));
    if (pending) return pending;
    return this.stored(registryHost);
  }

  async onAuthFailed(registryHost: string, username: string | undefined): Promise<RegistryCredentials | undefined> {
    const host = normalizeRegistryKey(registryHost);
    // Whatever was typed before for this host has just been refused: it must never be saved.
    this.entered.delete(host);
    // A username means credentials were sent and refused; none means the registry asked for some.
    const answer = await this.prompt.ask({ host: registryHost, username, refused: username !== undefined });
    if (!answer) return undefined;
    this.entered.set(host, answer);
    return answer;
  }

  /** Keeps what the user entered for hosts the registry then let in. */
  async saveAccepted(registryHost?: string): Promise<void> {
    for (const [host, credentials] of [...this.entered]) {
      if (registryHost !== undefined && host !== normalizeRegistryKey(registryHost)) continue;
      await this.secrets.store(secretKey(host), JSON.stringify(credentials));
      this.entered.delete(host);
    }
  }

  /** Whether the user typed credentials for this host during this operation. */
  hasEntered(registryHost: string): boolean {
    return this.entered.has(normalizeRegistryKey(registryHost));
  }

  /** Forgets the stored credentials of a host, so the next 401 asks again. */
  async forget(registryHost: string): Promise<void> {
    this.entered.delete(normalizeRegistryKey(registryHost));
    await this.secrets.delete(secretKey(registryHost));
  }

  async stored(registryHost: string): Promise<RegistryCredentials | undefined> {
    const raw = await this.secrets.get(secretKey(registryHost));
    if (!raw) return undefined;
    try {
      const parsed = StoredCredentialsSchema.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }
}
