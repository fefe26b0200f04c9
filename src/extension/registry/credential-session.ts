import type * as vscode from 'vscode';
import { chainCredentials, DockerConfigCredentials, type CredentialsProvider } from '../../core/registry/credentials';
import { SecretStorageCredentials, type CredentialsPrompt, type SecretStore } from './secret-credentials';

/**
 * The credentials of one operation (a push, a connection test): what the user stored in Trackside
 * first, then `docker login`'s entries in `~/.docker/config.json`; the user is asked on a 401 that
 * neither answers. A fresh session per operation, so a password typed for one attempt is never
 * reused by a later one unless the registry accepted it (and it was saved).
 */
export class RegistryCredentialSession {
  readonly provider: CredentialsProvider;
  private readonly secret: SecretStorageCredentials;
  private readonly docker = new DockerConfigCredentials();

  constructor(
    secrets: SecretStore,
    prompt: CredentialsPrompt,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.secret = new SecretStorageCredentials(secrets, prompt);
    this.provider = chainCredentials(this.secret, this.docker);
  }

  /** Keeps the credentials the user typed, now that the registry let them in. */
  async saveAccepted(): Promise<void> {
    await this.secret.saveAccepted();
  }

  async forget(registryHost: string): Promise<void> {
    await this.secret.forget(registryHost);
    this.log.info(`Forgot the stored credentials for ${registryHost}`);
  }

  /** Why `~/.docker/config.json` gave nothing for a host (credential helpers, unreadable file). */
  logDockerNotes(): void {
    for (const note of this.docker.notes) this.log.info(note);
  }
}
