import { z } from 'zod';
import type { CredentialsProvider, RegistryCredentials } from './credentials';
import { RegistryAuthError, RegistryProtocolError } from './errors';
import type { RegistryTransport } from './transport';
import { parseWwwAuthenticate, type AuthChallenge } from './www-authenticate';

/**
 * Authorization for one registry, negotiated from its `WWW-Authenticate` challenges: anonymous
 * until the registry asks, then Basic (credentials on every request) or the Bearer token flow
 * (credentials go to the token service only; tokens are cached per scope until shortly before they
 * expire). Credentials are fetched once from the provider and replaced only through its
 * `onAuthFailed` hook.
 */

const TokenResponseSchema = z
  .object({
    token: z.string().min(1).optional(),
    access_token: z.string().min(1).optional(),
    expires_in: z.number().positive().optional(),
    issued_at: z.string().optional(),
  })
  .refine((t) => t.token || t.access_token, 'token response without a token');

interface CachedToken {
  value: string;
  expiresAt: number;
}

/** Tokens are renewed this long before they expire, so a long chunk does not outlive its token. */
const TOKEN_MARGIN_MS = 30_000;
/** The distribution token spec's default lifetime when the service names none. */
const DEFAULT_TOKEN_SECONDS = 60;

export class RegistryAuth {
  private challenge: AuthChallenge | null = null;
  private credentials: RegistryCredentials | undefined;
  private credentialsLoaded = false;
  private readonly tokens = new Map<string, CachedToken>();

  constructor(
    private readonly transport: RegistryTransport,
    private readonly provider: CredentialsProvider | undefined,
  ) {}

  get scheme(): string | null {
    return this.challenge?.scheme ?? null;
  }

  get username(): string | undefined {
    return this.credentials?.username;
  }

  /** The Bearer token held for `scope` (after a request under it), or undefined under Basic or none. */
  tokenFor(scope: string): string | undefined {
    return this.challenge?.scheme === 'bearer' ? this.tokens.get(scope)?.value : undefined;
  }

  /** The Authorization header for a request needing `scope`, or undefined while anonymous. */
  async authorization(scope: string | undefined, signal?: AbortSignal): Promise<string | undefined> {
    if (!this.challenge) return undefined;
    if (this.challenge.scheme === 'basic') {
      const creds = await this.loadCredentials();
      return creds ? basicHeader(creds) : undefined;
    }
    if (this.challenge.scheme === 'bearer') {
      const key = scope ?? '';
      const cached = this.tokens.get(key);
      if (cached && cached.expiresAt - TOKEN_MARGIN_MS > Date.now()) return `Bearer ${cached.value}`;
      const token = await this.fetchToken(scope, signal);
      return `Bearer ${token}`;
    }
    return undefined;
  }

  /**
   * Learns from a 401. Returns true when the request is worth repeating (a new challenge, a new
   * token, or new credentials from the provider); throws the auth error otherwise.
   */
  async unauthorized(
    wwwAuthenticate: string | undefined,
    scope: string | undefined,
    hadAuthorization: boolean,
  ): Promise<boolean> {
    const challenges = parseWwwAuthenticate(wwwAuthenticate ?? '');
    const next = challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic') ?? null;
    if (!next) {
      throw new RegistryAuthError(
        this.transport.host,
        this.credentials?.username,
        401,
        'no supported authentication scheme offered',
      );
    }
    const changed =
      !this.challenge || this.challenge.scheme !== next.scheme || this.challenge.params.realm !== next.params.realm;
    this.challenge = next;
    if (next.scheme === 'bearer') this.tokens.delete(scope ?? '');
    if (!hadAuthorization) {
      // We were anonymous: now that the scheme is known, a Bearer token (with credentials if any)
      // or Basic credentials may do. The first 401 is where the editor asks the user.
      const creds = await this.loadCredentials();
      if (next.scheme === 'bearer' || creds) return true;
      if (await this.replaceCredentials()) return true;
      throw new RegistryAuthError(this.transport.host, undefined, 401);
    }
    if (changed) return true;
    // We sent authorization under this very challenge and it was refused.
    if (await this.replaceCredentials()) return true;
    throw new RegistryAuthError(
      this.transport.host,
      this.credentials?.username,
      401,
      next.params.error === 'insufficient_scope' ? `not allowed: ${scope ?? 'this operation'}` : undefined,
    );
  }

  private async loadCredentials(): Promise<RegistryCredentials | undefined> {
    if (!this.credentialsLoaded) {
      this.credentials = await this.provider?.getCredentials(this.transport.host);
      this.credentialsLoaded = true;
    }
    return this.credentials;
  }

  /** Asks the provider for other credentials; true when it gave some. */
  private async replaceCredentials(): Promise<boolean> {
    const replacement = await this.provider?.onAuthFailed?.(this.transport.host, this.credentials?.username);
    if (!replacement) return false;
    this.credentials = replacement;
    this.credentialsLoaded = true;
    this.tokens.clear();
    return true;
  }

  private async fetchToken(scope: string | undefined, signal?: AbortSignal): Promise<string> {
    const challenge = this.challenge!;
    const realm = challenge.params.realm;
    if (!realm) throw new RegistryProtocolError(this.transport.host, 'Bearer challenge without a realm', 401);
    for (;;) {
      const url = new URL(realm);
      if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
      // Several scopes (a mount reads one repository and writes another) go as repeated parameters.
      for (const one of (scope ?? '').split(' ').filter(Boolean)) url.searchParams.append('scope', one);
      const creds = await this.loadCredentials();
      const response = await this.transport.send({
        method: 'GET',
        url: url.toString(),
        headers: creds ? { authorization: basicHeader(creds) } : {},
        signal,
      });
      if (response.status === 401 || response.status === 403) {
        await this.transport.discard(response);
        if (await this.replaceCredentials()) continue;
        throw new RegistryAuthError(
          this.transport.host,
          creds?.username,
          response.status,
          'the token service refused the credentials',
        );
      }
      const text = await this.transport.readText(response, 1024 * 1024, signal);
      if (response.status !== 200) {
        throw new RegistryProtocolError(
          this.transport.host,
          `token service answered HTTP ${response.status}`,
          response.status,
        );
      }
      let parsed;
      try {
        parsed = TokenResponseSchema.safeParse(JSON.parse(text));
      } catch {
        parsed = null;
      }
      if (!parsed?.success)
        throw new RegistryProtocolError(this.transport.host, 'token service sent no usable token', 200);
      const value = (parsed.data.token ?? parsed.data.access_token)!;
      const issued = parsed.data.issued_at ? Date.parse(parsed.data.issued_at) : Number.NaN;
      const start = Number.isFinite(issued) ? Math.min(issued, Date.now()) : Date.now();
      this.tokens.set(scope ?? '', {
        value,
        expiresAt: start + (parsed.data.expires_in ?? DEFAULT_TOKEN_SECONDS) * 1000,
      });
      return value;
    }
  }
}

function basicHeader(creds: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${creds.username}:${creds.password}`, 'utf8').toString('base64')}`;
}
