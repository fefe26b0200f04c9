import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StreamingDigest, UploadHashIncompleteError } from '../../../src/core/registry/hashing-upload';

describe('the digest of a file hashed while it uploads', () => {
  let dir: string;
  let path: string;
  let bytes: Buffer;
  let expected: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'trackside-digest-'));
    path = join(dir, 'weights.bin');
    bytes = randomBytes(300_000);
    writeFileSync(path, bytes);
    expected = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is the file digest when chunks go out in order', async () => {
    const running = new StreamingDigest(path);
    for (let start = 0; start < bytes.length; start += 100_000) {
      await running.seek(start);
      running.feed(bytes.subarray(start, start + 100_000));
    }
    assert.equal(running.digest(bytes.length), expected);
  });

  it('stays right when a chunk is cut off and sent again', async () => {
    const running = new StreamingDigest(path);
    await running.seek(0);
    running.feed(bytes.subarray(0, 100_000));
    await running.seek(100_000);
    running.feed(bytes.subarray(100_000, 160_000)); // the connection drops here
    await running.seek(100_000);
    running.feed(bytes.subarray(100_000, 300_000));
    assert.equal(running.digest(bytes.length), expected);
  });

  it('hashes the bytes the registry already holds when an upload continues from its offset', async () => {
    const running = new StreamingDigest(path);
    await running.seek(200_000);
    running.feed(bytes.subarray(200_000));
    assert.equal(running.digest(bytes.length), expected);
  });

  it('refuses to name a digest for bytes it has not seen', async () => {
    const running = new StreamingDigest(path);
    await running.seek(0);
    running.feed(bytes.subarray(0, 1000));
    assert.throws(() => running.digest(bytes.length), UploadHashIncompleteError);
  });
});
