import { UserError } from '../user-error';
/**
 * Everything that can go wrong talking to an OCI registry, as typed errors with a reason the UI and
 * the CLI switch on. Messages name the registry and the next step; they never carry a password, a
 * token or an Authorization header.
 */

export type RegistryErrorReason =
  | 'auth-failed'
  | 'tls'
  | 'plain-http-refused'
  | 'network'
  | 'not-found'
  | 'digest-mismatch'
  | 'protocol'
  | 'cancelled'
  | 'input';

export abstract class RegistryError extends UserError {
  abstract readonly reason: RegistryErrorReason;
  /** What the user can do about it, as one sentence. */
  abstract readonly nextStep: string;
  /** Whether trying the same request again later may succeed (dropped connection, 5xx). */
  readonly retryable: boolean = false;
}

export class RegistryAuthError extends RegistryError {
  readonly reason = 'auth-failed';
  readonly nextStep: string;

  constructor(
    readonly registry: string,
    readonly username: string | undefined,
    readonly status: number,
    detail?: string,
  ) {
    super(
      username
        ? `authentication failed for ${registry} as ${username}${detail ? ` (${detail})` : ''}`
        : `${registry} requires authentication and no credentials were found${detail ? ` (${detail})` : ''}`,
    );
    this.name = 'RegistryAuthError';
    this.nextStep = username
      ? `re-enter the password or token for ${username} on ${registry}`
      : `sign in to ${registry} (username and password or token), or run \`docker login ${registry}\``;
  }
}

/** What is wrong with the registry's certificate, in words a user can act on. */
export type CertificateProblem =
  'self-signed' | 'unknown-ca' | 'hostname-mismatch' | 'expired' | 'not-yet-valid' | 'revoked' | 'handshake-failed';

const PROBLEM_TEXT: Record<CertificateProblem, string> = {
  'self-signed': 'is self-signed',
  'unknown-ca': 'is signed by a certificate authority that is not trusted',
  'hostname-mismatch': 'does not name this host (hostname mismatch)',
  expired: 'has expired',
  'not-yet-valid': 'is not valid yet',
  revoked: 'has been revoked',
  'handshake-failed': 'could not be negotiated (TLS handshake failed)',
};

export class RegistryTlsError extends RegistryError {
  readonly reason = 'tls';
  readonly nextStep: string;

  constructor(
    readonly registry: string,
    readonly problem: CertificateProblem,
    /** The TLS library's code, e.g. DEPTH_ZERO_SELF_SIGNED_CERT. */
    readonly code: string | undefined,
  ) {
    super(`the TLS certificate of ${registry} ${PROBLEM_TEXT[problem]}${code ? ` [${code}]` : ''}`);
    this.name = 'RegistryTlsError';
    this.nextStep =
      problem === 'hostname-mismatch'
        ? `use the host name the certificate was issued for in the registry URL, or reissue the certificate with a subjectAltName for it`
        : problem === 'self-signed' || problem === 'unknown-ca'
          ? `set trackside.registries[].caFile to the PEM file of the CA that signed it (CLI: --ca-file)`
          : `renew the registry's certificate`;
  }
}

export class PlainHttpRefusedError extends RegistryError {
  readonly reason = 'plain-http-refused';
  readonly nextStep =
    'use https, or allow plain HTTP for this registry explicitly (trackside.registries[].plainHttp, CLI: --plain-http)';

  constructor(readonly registry: string) {
    super(`refusing to send credentials and models to ${registry} over plain HTTP`);
    this.name = 'PlainHttpRefusedError';
  }
}

export class RegistryNetworkError extends RegistryError {
  readonly reason = 'network';
  override readonly retryable = true;
  readonly nextStep = 'check that the registry is reachable and push again: the upload resumes where it stopped';

  constructor(
    readonly registry: string,
    detail: string,
    /** The socket error code, or the HTTP status of a 5xx answer. */
    readonly code: string | number | undefined,
  ) {
    super(`${registry} is unreachable or failed: ${detail}`);
    this.name = 'RegistryNetworkError';
  }
}

export type MissingThing = 'repository' | 'manifest' | 'blob' | 'upload';

export class RegistryNotFoundError extends RegistryError {
  readonly reason = 'not-found';
  readonly nextStep: string;

  constructor(
    readonly registry: string,
    readonly what: MissingThing,
    readonly ref: string,
  ) {
    super(`${what} ${ref} was not found on ${registry}`);
    this.name = 'RegistryNotFoundError';
    this.nextStep = 'check the repository name, tag or digest';
  }
}

export class DigestMismatchError extends RegistryError {
  readonly reason = 'digest-mismatch';
  readonly nextStep = 'push again; if it persists, the registry or a proxy in front of it alters content';

  constructor(
    readonly what: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${what}: expected digest ${expected} but got ${actual}`);
    this.name = 'DigestMismatchError';
  }
}

export class RegistryProtocolError extends RegistryError {
  readonly reason = 'protocol';
  readonly nextStep = 'check that the URL points at an OCI distribution registry (its API lives under /v2/)';

  constructor(
    readonly registry: string,
    detail: string,
    readonly status: number | undefined,
    /** The registry's error codes from the response body (e.g. MANIFEST_INVALID). */
    readonly codes: string[] = [],
  ) {
    super(`${registry}: ${detail}${codes.length > 0 ? ` (${codes.join(', ')})` : ''}`);
    this.name = 'RegistryProtocolError';
  }
}

export class PushCancelledError extends RegistryError {
  readonly reason = 'cancelled';
  readonly nextStep = 'push again to continue: finished blobs are skipped and a started upload resumes';

  constructor() {
    super('the push was cancelled');
    this.name = 'PushCancelledError';
  }
}

export class ModelInputError extends RegistryError {
  readonly reason = 'input';
  readonly nextStep: string;

  constructor(message: string, nextStep: string) {
    super(message);
    this.name = 'ModelInputError';
    this.nextStep = nextStep;
  }
}
