import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  DockerConfigCredentials,
  chainCredentials,
  StaticCredentials,
  normalizeRegistryKey,
} from '../../../src/core/registry/credentials';

describe('credentials from ~/.docker/config.json', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'trackside-docker-'));
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({
        auths: {
          'registry.example.com:5000': { auth: Buffer.from('alice:pa:ss').toString('base64') },
          'https://index.docker.io/v1/': { auth: Buffer.from('hubuser:hubtoken').toString('base64') },
        },
        credHelpers: { 'gcr.io': 'gcloud' },
      }),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('decodes the base64 auth field for the matching host, whatever the key spelling', async () => {
    const docker = new DockerConfigCredentials(join(dir, 'config.json'));
    assert.deepEqual(await docker.getCredentials('registry.example.com:5000'), {
      username: 'alice',
      password: 'pa:ss',
    });
    assert.deepEqual(await docker.getCredentials('registry-1.docker.io'), {
      username: 'hubuser',
      password: 'hubtoken',
    });
    assert.equal(await docker.getCredentials('other.example.com'), undefined);
  });

  it('leaves hosts served by a credential helper to the user, with a note saying so', async () => {
    const docker = new DockerConfigCredentials(join(dir, 'config.json'));
    assert.equal(await docker.getCredentials('gcr.io'), undefined);
    assert.match(docker.notes.join('\n'), /docker-credential-gcloud.*does not run/);
  });

  it('tolerates a missing file and chains providers in order', async () => {
    const missing = new DockerConfigCredentials(join(dir, 'absent.json'));
    assert.equal(await missing.getCredentials('x'), undefined);
    assert.deepEqual(missing.notes, []);
    const chain = chainCredentials(missing, new StaticCredentials({ username: 'u', password: 'p' }));
    assert.deepEqual(await chain.getCredentials('x'), { username: 'u', password: 'p' });
    assert.equal(normalizeRegistryKey('http://Host:5000/v2/'), 'host:5000');
  });
});
