import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OciRegistryClient } from '../../../src/core/registry/client';
import { StaticCredentials, type CredentialsProvider } from '../../../src/core/registry/credentials';
import { RegistryAuthError, RegistryTlsError } from '../../../src/core/registry/errors';
import { pullModel } from '../../../src/core/registry/pull';
import { pushModel } from '../../../src/core/registry/push';
import { repositoryScope } from '../../../src/core/registry/www-authenticate';
import { TestRegistry } from '../../fixtures/registry/docker-registry';
import { demoInput, sha256OfFile, writeDemoModel } from '../../fixtures/registry/model-files';
import { TokenServer } from '../../fixtures/registry/token-server';

describe('registry with TLS and htpasswd basic auth', () => {
  let registry: TestRegistry;
  let work: string;
  let model: string;

  before(async () => {
    registry = await TestRegistry.start({ tls: true, basicAuth: { username: 'alice', password: 's3cret' } });
    work = mkdtempSync(join(tmpdir(), 'trackside-tls-'));
    model = await writeDemoModel(join(work, 'model'), 256 * 1024);
  });

  after(async () => {
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('pushes and pulls back with the CA and the right password', async () => {
    const endpoint = { url: registry.url, ca: registry.caPem };
    const credentials = new StaticCredentials({ username: 'alice', password: 's3cret' });
    const result = await pushModel(
      demoInput(model),
      { endpoint, repository: 'secure/model', tags: ['1.2.0'] },
      { credentials },
    );
    const client = new OciRegistryClient(endpoint, { credentials });
    try {
      const pulled = await pullModel(client, 'secure/model', result.digest, join(work, 'pulled'));
      for (const file of pulled.files) assert.equal(await sha256OfFile(join(work, 'pulled', file.path)), file.digest);
    } finally {
      await client.close();
    }
  });

  it('names the certificate problem and the setting that fixes it when the CA is not given', async () => {
    const error = await pushModel(demoInput(model), {
      endpoint: { url: registry.url },
      repository: 'secure/model',
      tags: ['x'],
    }).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(error instanceof RegistryTlsError, String(error));
    assert.equal(error.problem, 'self-signed');
    assert.match(error.nextStep, /trackside\.registries\[\]\.caFile/);
  });

  it('reports a hostname mismatch when the certificate does not name the host', async () => {
    const client = new OciRegistryClient({ url: `https://localhost:${registry.port}`, ca: registry.caPem });
    try {
      const error = await client.checkConnection().then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(error instanceof RegistryTlsError, String(error));
      assert.equal(error.problem, 'hostname-mismatch');
    } finally {
      await client.close();
    }
  });

  it('fails with the registry and the user named when the password is wrong, after offering a re-prompt', async () => {
    const asked: (string | undefined)[] = [];
    const credentials: CredentialsProvider = {
      getCredentials: async () => ({ username: 'alice', password: 'wrong' }),
      onAuthFailed: async (_host, user) => {
        asked.push(user);
        return undefined;
      },
    };
    const error = await pushModel(
      demoInput(model),
      { endpoint: { url: registry.url, ca: registry.caPem }, repository: 'secure/model', tags: ['x'] },
      { credentials },
    ).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(error instanceof RegistryAuthError, String(error));
    assert.equal(error.registry, registry.host);
    assert.equal(error.username, 'alice');
    assert.equal(error.message, `authentication failed for ${registry.host} as alice`);
    assert.doesNotMatch(error.message, /wrong/);
    assert.deepEqual(asked, ['alice']);
  });

  it('retries with the credentials the re-prompt returns', async () => {
    const credentials: CredentialsProvider = {
      getCredentials: async () => ({ username: 'alice', password: 'typo' }),
      onAuthFailed: async () => ({ username: 'alice', password: 's3cret' }),
    };
    const result = await pushModel(
      demoInput(model),
      { endpoint: { url: registry.url, ca: registry.caPem }, repository: 'secure/retyped', tags: ['1'] },
      { credentials },
    );
    assert.match(result.digest, /^sha256:/);
  });
});

describe('registry with bearer token auth', () => {
  let tokens: TokenServer;
  let registry: TestRegistry;
  let work: string;
  let model: string;

  before(async () => {
    tokens = await TokenServer.start({ bob: 'token-pass' });
    registry = await TestRegistry.start({ token: tokens.auth });
    work = mkdtempSync(join(tmpdir(), 'trackside-token-'));
    model = await writeDemoModel(join(work, 'model'), 512 * 1024);
  });

  after(async () => {
    await registry.stop();
    await tokens.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('pushes with one token for the push scope, and pulls back with one token for the pull scope', async () => {
    const credentials = new StaticCredentials({ username: 'bob', password: 'token-pass' });
    const endpoint = { url: registry.url };
    const result = await pushModel(
      demoInput(model),
      { endpoint, repository: 'ml/model', tags: ['1.2.0', 'prod'] },
      { credentials },
    );
    const pushScope = repositoryScope('ml/model', ['pull', 'push']);
    assert.equal(tokens.countFor(pushScope), 1, 'the push scope token is fetched once and reused for ~10 requests');

    const client = new OciRegistryClient(endpoint, { credentials });
    try {
      const pulled = await pullModel(client, 'ml/model', result.digest, join(work, 'pulled'));
      assert.equal(pulled.files.length, 4);
      await client.manifestDigest('ml/model', '1.2.0');
    } finally {
      await client.close();
    }
    assert.equal(tokens.countFor(repositoryScope('ml/model', ['pull'])), 1);
    assert.ok(tokens.requests.every((r) => r.user === 'bob'));
  });

  it('fails with the auth error when the token service refuses the password', async () => {
    const credentials = new StaticCredentials({ username: 'bob', password: 'nope' });
    const error = await pushModel(
      demoInput(model),
      { endpoint: { url: registry.url }, repository: 'ml/model', tags: ['x'] },
      { credentials },
    ).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(error instanceof RegistryAuthError, String(error));
    assert.equal(error.username, 'bob');
    assert.equal(error.registry, registry.host);
  });
});
