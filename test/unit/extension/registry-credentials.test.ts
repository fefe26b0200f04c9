import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type * as vscode from 'vscode';
import { OciRegistryClient } from '../../../src/core/registry/client';
import type { RegistryCredentials } from '../../../src/core/registry/credentials';
import { RegistryAuthError } from '../../../src/core/registry/errors';
import { pushModel } from '../../../src/core/registry/push';
import { RegistryCredentialSession } from '../../../src/extension/registry/credential-session';
import {
  secretKey,
  type CredentialsPrompt,
  type SecretStore,
} from '../../../src/extension/registry/secret-credentials';
import { demoInput, writeDemoModel } from '../../fixtures/registry/model-files';
import { TestRegistry } from '../../fixtures/registry/docker-registry';

// The editor's registry credentials against a real registry with htpasswd basic auth: the first 401
// asks the user, what the user typed is kept in SecretStorage once the registry accepted it, stored
// credentials are used without asking, refused ones lead to asking again, and `docker login`'s
// entries are used when present.

const USER = 'trainer';
const PASSWORD = `pw-${process.pid}-correct`;

/** SecretStorage as the editor gives it, in memory: what was stored under which key. */
class MemorySecrets implements SecretStore {
  readonly values = new Map<string, string>();
  async get(key: string) {
    return this.values.get(key);
  }
  async store(key: string, value: string) {
    this.values.set(key, value);
  }
  async delete(key: string) {
    this.values.delete(key);
  }
}

/** A user at the input boxes: answers in turn, and remembers what was asked. */
class ScriptedPrompt implements CredentialsPrompt {
  readonly asked: { host: string; username: string | undefined; refused: boolean }[] = [];
  constructor(private readonly answers: (RegistryCredentials | undefined)[]) {}
  async ask(request: { host: string; username: string | undefined; refused: boolean }) {
    this.asked.push(request);
    return this.answers.shift();
  }
}

const log = { info() {}, warn() {}, error() {} } as unknown as vscode.LogOutputChannel;

let registry: TestRegistry;
let dir: string;
let savedDockerConfig: string | undefined;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trackside-registry-credentials-'));
  savedDockerConfig = process.env.DOCKER_CONFIG;
  // No developer's own `docker login` leaks into the test.
  process.env.DOCKER_CONFIG = join(dir, 'docker');
  registry = await TestRegistry.start({ basicAuth: { username: USER, password: PASSWORD } });
});

after(async () => {
  await registry?.stop();
  if (savedDockerConfig === undefined) delete process.env.DOCKER_CONFIG;
  else process.env.DOCKER_CONFIG = savedDockerConfig;
  await rm(dir, { recursive: true, force: true });
});

async function connect(session: RegistryCredentialSession) {
  const client = new OciRegistryClient({ url: registry.url }, { credentials: session.provider });
  try {
    return await client.checkConnection();
  } finally {
    await client.close();
  }
}

describe('registry credentials in the editor', () => {
  it('asks on the first 401 and keeps the password in SecretStorage once the registry accepted it', async () => {
    const secrets = new MemorySecrets();
    const prompt = new ScriptedPrompt([{ username: USER, password: PASSWORD }]);
    const session = new RegistryCredentialSession(secrets, prompt, log);
    const result = await connect(session);
    assert.deepEqual(prompt.asked, [{ host: registry.host, username: undefined, refused: false }]);
    assert.deepEqual(result, { authScheme: 'basic', username: USER });
    assert.equal(secrets.values.size, 0, 'nothing is kept before the operation succeeded');
    await session.saveAccepted();
    assert.deepEqual([...secrets.values.keys()], [secretKey(registry.host)]);
    assert.deepEqual(JSON.parse(secrets.values.get(secretKey(registry.host))!), {
      username: USER,
      password: PASSWORD,
    });

    // A later push (a new session) uses the stored credentials without asking.
    const quiet = new ScriptedPrompt([]);
    const model = await writeDemoModel(join(dir, 'model'), 64 * 1024);
    const pushed = await pushModel(
      demoInput(model),
      { endpoint: { url: registry.url }, repository: 'team/credentials-demo', tags: ['v1'] },
      { credentials: new RegistryCredentialSession(secrets, quiet, log).provider },
    );
    assert.equal(quiet.asked.length, 0);
    assert.match(pushed.digest, /^sha256:[0-9a-f]{64}$/);
  });

  it('asks again, naming the user, when the stored password is refused, and replaces it', async () => {
    const secrets = new MemorySecrets();
    await secrets.store(secretKey(registry.host), JSON.stringify({ username: USER, password: 'outdated' }));
    const prompt = new ScriptedPrompt([{ username: USER, password: PASSWORD }]);
    const session = new RegistryCredentialSession(secrets, prompt, log);
    await connect(session);
    assert.deepEqual(prompt.asked, [{ host: registry.host, username: USER, refused: true }]);
    await session.saveAccepted();
    assert.equal(JSON.parse(secrets.values.get(secretKey(registry.host))!).password, PASSWORD);
  });

  it('fails with "authentication failed … as <user>" and stores nothing when the user gives up', async () => {
    const secrets = new MemorySecrets();
    const prompt = new ScriptedPrompt([{ username: USER, password: 'typo' }, undefined]);
    const session = new RegistryCredentialSession(secrets, prompt, log);
    await assert.rejects(connect(session), (error: unknown) => {
      assert.ok(error instanceof RegistryAuthError);
      assert.equal(error.message, `authentication failed for ${registry.host} as ${USER}`);
      assert.ok(!error.message.includes('typo'), 'the password is never in the message');
      return true;
    });
    assert.equal(prompt.asked.length, 2);
    assert.deepEqual(prompt.asked[1], { host: registry.host, username: USER, refused: true });
    await session.saveAccepted();
    assert.equal(secrets.values.size, 0);
  });

  it("uses `docker login`'s entry in ~/.docker/config.json without asking", async () => {
    const dockerDir = join(dir, 'docker');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dockerDir, { recursive: true });
    const auth = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
    await writeFile(join(dockerDir, 'config.json'), JSON.stringify({ auths: { [registry.host]: { auth } } }));
    try {
      const prompt = new ScriptedPrompt([]);
      const result = await connect(new RegistryCredentialSession(new MemorySecrets(), prompt, log));
      assert.equal(prompt.asked.length, 0);
      assert.equal(result.username, USER);
    } finally {
      await rm(join(dockerDir, 'config.json'));
    }
  });
});
