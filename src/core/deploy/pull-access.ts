import { StaticCredentials, type RegistryCredentials } from '../registry/credentials';
import { OciRegistryClient } from '../registry/client';
import { RegistryAuthError, RegistryNotFoundError } from '../registry/errors';
import { DeployError } from './errors';
import { parseModelRef } from './model-ref';
import type { RegistryAccess } from './target';

/**
 * What a model server gets to pull `modelRef`. Where the registry has a token service, a token
 * scoped to pulling that one repository (it expires within minutes, and the server pulls once, as it
 * starts), so the password never leaves this machine; under Basic auth, the credentials themselves;
 * nothing when anyone may pull. When this machine cannot reach the registry (the target may), the
 * credentials go as they are.
 */
export async function pullAccessFor(
  modelRef: string,
  plainHttp: boolean,
  credentials: RegistryCredentials,
  signal?: AbortSignal,
): Promise<RegistryAccess> {
  const { registry, repository, digest } = parseModelRef(modelRef);
  const client = new OciRegistryClient(
    { url: `${plainHttp ? 'http' : 'https'}://${registry}`, plainHttpHosts: plainHttp ? [registry] : [] },
    { credentials: new StaticCredentials(credentials) },
  );
  try {
    const access = await client.pullAccess(repository, digest, signal);
    if (access.kind === 'token') return { plainHttp, token: access.token };
    if (access.kind === 'anonymous') return { plainHttp };
    return { plainHttp, ...credentials };
  } catch (error) {
    if (error instanceof RegistryAuthError || error instanceof RegistryNotFoundError) {
      throw new DeployError(
        'model-pull-failed',
        `${registry} cannot hand ${repository}@${digest} out: ${error.message}`,
        [],
        {
          cause: error,
        },
      );
    }
    return { plainHttp, ...credentials };
  } finally {
    await client.close();
  }
}
