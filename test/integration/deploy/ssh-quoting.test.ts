import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DeployError } from '../../../src/core/deploy/errors';
import { DeploymentRecordSchema } from '../../../src/core/deploy/records';
import { SshClient } from '../../../src/core/deploy/ssh/ssh-client';
import { SshTarget } from '../../../src/core/deploy/ssh/ssh-target';
import { SshTargetConfigSchema, type SshTargetConfig } from '../../../src/core/deploy/targets-config';
import { shellCommand } from '../../../src/core/shell/quoting';
import { SshdServer } from '../../fixtures/deploy/sshd-server';
import { hostileStrings } from '../../fixtures/hostile-strings';

// Every word an SSH target's commands carry (folders, env values, a Python path from targets.json)
// goes through one quoting function to the remote shell. Fed hostile strings through a real sshd
// and a real login shell, each arrives as the word it was, and the canary file never appears.

describe('commands on an SSH host under hostile input (real sshd)', () => {
  let sshd: SshdServer;
  let work: string;
  let config: SshTargetConfig;

  before(async () => {
    sshd = await SshdServer.start();
    work = mkdtempSync(join(tmpdir(), 'trackside-ssh-quoting-'));
    config = SshTargetConfigSchema.parse({
      kind: 'ssh',
      name: 'box',
      host: '127.0.0.1',
      sshPort: sshd.port,
      user: sshd.user,
      keyFile: sshd.keyFile,
      knownHostsFile: sshd.knownHostsFile,
    });
  });

  after(async () => {
    await sshd?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('passes every hostile word through the remote shell as data, never as a command', async () => {
    const canary = join(work, 'canary');
    // A NUL cannot be part of any command line (the OS refuses it): it never reaches ssh.
    const words = hostileStrings(canary, 120).filter((w) => !w.includes('\u0000'));
    const client = new SshClient(config);
    for (let i = 0; i < words.length; i += 20) {
      const batch = words.slice(i, i + 20);
      const result = await client.exec(shellCommand(['printf', '%s\\0', ...batch]));
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(result.stdout.split('\0').slice(0, -1), batch);
    }
    assert.equal(existsSync(canary), false, 'no hostile word ran as a command');
  });

  it('refuses to undeploy a name from a crafted record that reaches outside the target folder', async () => {
    const precious = join(work, 'precious-data');
    mkdirSync(precious);
    writeFileSync(join(precious, 'keep.txt'), 'months of work\n');
    const target = new SshTarget({ ...config, remoteDir: join(work, 'serve', 'deployments') });
    for (const name of ['../../precious-data', `..${'/..'.repeat(3)}${precious}`, 'x; rm -rf ~']) {
      await assert.rejects(target.undeploy(name), (error: unknown) => error instanceof DeployError);
    }
    assert.ok(existsSync(join(precious, 'keep.txt')), 'nothing outside the target folder was removed');
    // The same names never get into a record read from disk either.
    for (const name of ['../../precious-data', 'Prod']) {
      assert.equal(DeploymentRecordSchema.shape.name.safeParse(name).success, false, name);
    }
  });

  it('refuses a host or user that ssh would read as an option, before any ssh runs', () => {
    const canary = join(work, 'canary-option');
    for (const field of ['host', 'user'] as const) {
      const parsed = SshTargetConfigSchema.safeParse({ ...config, [field]: `-oProxyCommand=touch ${canary}` });
      assert.equal(parsed.success, false, `${field} starting with "-"`);
    }
    assert.equal(existsSync(canary), false);
  });
});
