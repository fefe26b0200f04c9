import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PlainHttpRefusedError } from '../../../src/core/registry/errors';
import { PushProgressText } from '../../../src/extension/registry/push-progress-text';
import { defaultRepository } from '../../../src/extension/registry/repository-names';
import {
  parseRegistrySettings,
  registryHost,
  toEndpoint,
  withRegistry,
  RegistrySettingError,
} from '../../../src/extension/registry/registry-settings';

// The vscode-free parts of the editor's push: the registries setting, the repository a push
// proposes, and the text of the progress notification.

describe('the trackside.registries setting', () => {
  it('reads valid entries with their defaults and reports the ones it ignores', () => {
    const { registries, problems } = parseRegistrySettings([
      { name: 'team', url: 'registry.example.com', repositoryPrefix: 'ml' },
      { name: 'local', url: 'http://127.0.0.1:5000' },
      { url: 'ghcr.io' },
      { name: 'team', url: 'other.example.com' },
    ]);
    assert.deepEqual(registries, [
      { name: 'team', url: 'registry.example.com', repositoryPrefix: 'ml', plainHttp: false },
      { name: 'local', url: 'http://127.0.0.1:5000', repositoryPrefix: '', plainHttp: false },
    ]);
    assert.equal(problems.length, 2);
    assert.match(problems[0]!, /^entry 3 is ignored \(name: /);
    assert.match(problems[1]!, /entry 4 is ignored: the name "team" is used by an earlier entry/);
  });

  it('keys credentials by host and allows plain HTTP off loopback only when the entry says so', () => {
    assert.equal(registryHost({ url: 'registry.example.com:5000/', plainHttp: false }), 'registry.example.com:5000');
    assert.equal(registryHost({ url: 'http://127.0.0.1:5000', plainHttp: false }), '127.0.0.1:5000');
    assert.throws(() => registryHost({ url: 'http://10.0.0.7:5000', plainHttp: false }), PlainHttpRefusedError);
    assert.equal(registryHost({ url: 'http://10.0.0.7:5000', plainHttp: true }), '10.0.0.7:5000');
  });

  it('names the CA file it cannot read', async () => {
    await assert.rejects(
      toEndpoint(
        { name: 'private', url: 'registry.internal', repositoryPrefix: '', plainHttp: false, caFile: 'certs/none.pem' },
        '/nonexistent-workspace',
      ),
      (error: unknown) =>
        error instanceof RegistrySettingError &&
        error.reason === 'ca-file-unreadable' &&
        error.message.includes('/nonexistent-workspace/certs/none.pem'),
    );
  });

  it('writes an entry back without defaults, replacing the one of the same name', () => {
    const written = withRegistry(
      [
        { name: 'a', url: 'x.io' },
        { name: 'b', url: 'y.io' },
      ],
      {
        name: 'a',
        url: 'z.io',
        repositoryPrefix: 'team',
        plainHttp: false,
      },
    );
    assert.deepEqual(written, [
      { name: 'a', url: 'z.io', repositoryPrefix: 'team' },
      { name: 'b', url: 'y.io' },
    ]);
    assert.ok(!JSON.stringify(written).includes('password'));
  });
});

describe('a push proposes a repository and shows its progress', () => {
  it('puts the prefix before a repository-safe model name', () => {
    assert.equal(defaultRepository('team/models/', 'Digits LogReg'), 'team/models/digits-logreg');
    assert.equal(defaultRepository('', 'churn_v2'), 'churn_v2');
  });

  it('shows bytes of the total and the speed over the last seconds', () => {
    let now = 0;
    const text = new PushProgressText(() => now);
    const total = 120 * 2 ** 20;
    const partial = text.step({ phase: 'hashing', bytesDone: 30 * 2 ** 20, bytesTotal: total, bytesSent: 0 });
    assert.deepEqual(partial, { message: 'hashing 30.0 MiB of 120.0 MiB', increment: 2.5 });
    const hashing = text.step({ phase: 'hashing', bytesDone: total, bytesTotal: total, bytesSent: 0 });
    assert.deepEqual(hashing, { message: 'hashed 120.0 MiB · contacting the registry', increment: 7.5 });
    const first = text.step({ phase: 'uploading', bytesDone: 0, bytesTotal: total, bytesSent: 0 });
    assert.equal(first.message, '0 B of 120.0 MiB');
    now = 1000;
    const step = text.step({
      phase: 'uploading',
      bytesDone: 37 * 2 ** 20,
      bytesTotal: total,
      bytesSent: 37 * 2 ** 20,
      blob: { digest: 'sha256:x', path: 'model.pt', size: total, position: 37 * 2 ** 20 },
    });
    assert.equal(step.message, '37.0 MiB of 120.0 MiB · 37.0 MiB/s · model.pt');
    assert.ok(step.increment > 0);
    // Percentages only grow, so the bar never moves back.
    const done = text.step({ phase: 'done', bytesDone: total, bytesTotal: total, bytesSent: total });
    assert.equal(done.message, 'done');
    const sum = [partial, hashing, first, step, done].reduce((s, x) => s + x.increment, 0);
    assert.equal(Math.round(sum), 100);
  });
});
