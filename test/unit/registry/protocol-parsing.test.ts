import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveEndpoint } from '../../../src/core/registry/endpoint';
import { PlainHttpRefusedError } from '../../../src/core/registry/errors';
import {
  isValidRepository,
  isValidTag,
  referrersTag,
  toRepositoryName,
  toTag,
} from '../../../src/core/registry/reference';
import { backoffDelay } from '../../../src/core/registry/retry';
import { chunkRanges, contentRange, uploadedBytes } from '../../../src/core/registry/upload-range';
import { parseWwwAuthenticate, repositoryScope } from '../../../src/core/registry/www-authenticate';

describe('WWW-Authenticate', () => {
  it('reads a Bearer challenge whose scope holds commas and colons', () => {
    const [c] = parseWwwAuthenticate(
      'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:team/model:pull,push"',
    );
    assert.equal(c?.scheme, 'bearer');
    assert.deepEqual(c?.params, {
      realm: 'https://auth.example.com/token',
      service: 'registry.example.com',
      scope: 'repository:team/model:pull,push',
    });
  });

  it('reads Basic, several challenges, escapes and unquoted values', () => {
    const challenges = parseWwwAuthenticate(
      'Basic realm="Registry \\"Realm\\"", Bearer realm=https://t/token, error=insufficient_scope',
    );
    assert.deepEqual(
      challenges.map((c) => c.scheme),
      ['basic', 'bearer'],
    );
    assert.equal(challenges[0]?.params.realm, 'Registry "Realm"');
    assert.equal(challenges[1]?.params.realm, 'https://t/token');
    assert.equal(challenges[1]?.params.error, 'insufficient_scope');
  });

  it('gives nothing for an empty header and sorts scope actions', () => {
    assert.deepEqual(parseWwwAuthenticate(''), []);
    assert.equal(repositoryScope('a/b', ['push', 'pull']), 'repository:a/b:pull,push');
  });
});

describe('upload ranges', () => {
  it('reads the Range the registry reports as the bytes it holds', () => {
    assert.equal(uploadedBytes('0-999999'), 1_000_000);
    assert.equal(uploadedBytes('bytes=0-1023'), 1024);
    assert.equal(uploadedBytes('0-0'), 0);
    assert.equal(uploadedBytes(undefined), null);
    assert.equal(uploadedBytes('5-10'), null);
    assert.equal(uploadedBytes('junk'), null);
  });

  it('splits an upload into chunks and names each Content-Range inclusively', () => {
    assert.deepEqual(chunkRanges(0, 10, 4), [
      { start: 0, end: 4 },
      { start: 4, end: 8 },
      { start: 8, end: 10 },
    ]);
    assert.deepEqual(chunkRanges(8, 10, 4), [{ start: 8, end: 10 }]);
    assert.equal(contentRange(0, 4), '0-3');
    assert.throws(() => contentRange(4, 4), RangeError);
  });
});

describe('names and endpoints', () => {
  it('validates repositories and tags and derives them from free text', () => {
    assert.ok(isValidRepository('team/churn-model'));
    assert.ok(!isValidRepository('Team/Model'));
    assert.ok(!isValidRepository('team//model'));
    assert.ok(isValidTag('1.2.0'));
    assert.ok(!isValidTag('-bad'));
    assert.equal(toTag('1.0+build 7'), '1.0_build_7');
    assert.equal(toTag('.hidden'), 'v.hidden');
    assert.equal(toRepositoryName('Churn Classifier!'), 'churn-classifier');
    assert.equal(referrersTag(`sha256:${'ab'.repeat(32)}`), `sha256-${'ab'.repeat(32)}`);
  });

  it('allows plain HTTP for loopback and listed hosts only', () => {
    assert.deepEqual(resolveEndpoint({ url: 'http://127.0.0.1:5000' }), {
      origin: 'http://127.0.0.1:5000',
      host: '127.0.0.1:5000',
      plainHttp: true,
    });
    assert.equal(resolveEndpoint({ url: 'registry.example.com' }).origin, 'https://registry.example.com');
    assert.throws(() => resolveEndpoint({ url: 'http://registry.example.com' }), PlainHttpRefusedError);
    assert.equal(resolveEndpoint({ url: 'http://lab:5000', plainHttpHosts: ['lab:5000'] }).plainHttp, true);
  });

  it('backs off exponentially up to a cap', () => {
    const policy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 1000 };
    assert.equal(
      backoffDelay(policy, 1, () => 0.5),
      100,
    );
    assert.equal(
      backoffDelay(policy, 3, () => 0.5),
      400,
    );
    assert.equal(
      backoffDelay(policy, 10, () => 0.5),
      1000,
    );
  });
});
