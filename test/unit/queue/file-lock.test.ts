import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FileLock } from '../../../src/core/queue/file-lock';

describe('queue runner lock', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trackside-lock-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lets one holder in at a time and the next one in after release', async () => {
    const path = join(dir, 'a.lock');
    const first = new FileLock(path, { staleMs: 30_000 });
    const second = new FileLock(path, { staleMs: 30_000 });
    assert.equal(await first.tryAcquire(), true);
    assert.equal(await second.tryAcquire(), false);
    assert.equal((await second.holder())?.pid, process.pid);
    await first.release();
    assert.equal(await second.tryAcquire(), true);
    await second.release();
  });

  it('takes over a lock whose holder died (a closed editor window)', async () => {
    const path = join(dir, 'b.lock');
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    const now = Date.now();
    await writeFile(
      path,
      JSON.stringify({ pid: dead, hostname: hostname(), token: 'x', acquiredAt: now, heartbeatAt: now }),
    );
    const lock = new FileLock(path, { staleMs: 30_000 });
    assert.equal(await lock.tryAcquire(), true);
    await lock.release();
  });

  it('takes over a lock whose holder stopped heartbeating (another host, a frozen process)', async () => {
    const path = join(dir, 'c.lock');
    const old = Date.now() - 60_000;
    await writeFile(
      path,
      JSON.stringify({ pid: 1, hostname: 'elsewhere', token: 'x', acquiredAt: old, heartbeatAt: old }),
    );
    const lock = new FileLock(path, { staleMs: 30_000 });
    assert.equal(await lock.tryAcquire(), true);
    const fresh = Date.now();
    const other = join(dir, 'd.lock');
    await writeFile(
      other,
      JSON.stringify({ pid: 1, hostname: 'elsewhere', token: 'x', acquiredAt: fresh, heartbeatAt: fresh }),
    );
    assert.equal(await new FileLock(other, { staleMs: 30_000 }).tryAcquire(), false);
    await lock.release();
  });

  it('a holder whose lock was taken over notices at its next heartbeat and steps down', async () => {
    const path = join(dir, 'e.lock');
    const first = new FileLock(path, { staleMs: 30_000 });
    assert.equal(await first.tryAcquire(), true);
    const stale = Date.now() - 60_000;
    const holder = (await first.holder())!;
    await writeFile(path, JSON.stringify({ ...holder, hostname: 'elsewhere', heartbeatAt: stale }));
    const second = new FileLock(path, { staleMs: 30_000 });
    assert.equal(await second.tryAcquire(), true);
    assert.equal(await first.heartbeat(), false);
    assert.equal(first.isHeld, false);
    await second.release();
  });
});
