import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'node:test';
import { SshTargetConfigSchema } from '../../../src/core/deploy/targets-config';
import { freePortBlock } from '../../fixtures/monitoring/port-block';
import { SshdServer } from '../../fixtures/deploy/sshd-server';
import { SYSTEM_PYTHON } from '../../fixtures/deploy/trained-models';
import { monitoringScenario } from '../../fixtures/monitoring/scenario';
import { isProcessAlive } from '../../../src/core/runs/ingest-status';

describe('monitoring a model served on an SSH host (real sshd, real registry)', () => {
  monitoringScenario(async () => {
    const sshd = await SshdServer.start();
    const remoteDir = mkdtempSync(join(tmpdir(), 'trackside-ssh-serve-'));
    const config = SshTargetConfigSchema.parse({
      kind: 'ssh',
      name: 'lab-ssh',
      host: '127.0.0.1',
      sshPort: sshd.port,
      user: sshd.user,
      keyFile: sshd.keyFile,
      knownHostsFile: sshd.knownHostsFile,
      remoteDir,
      python: SYSTEM_PYTHON,
      port: await freePortBlock(3),
      bindHost: '127.0.0.1',
    });
    return {
      config,
      // The SSH target restarts a server by stopping its process and starting it again.
      async restart(record, deployer) {
        await deployer.deploy({
          target: record.target,
          name: record.name,
          modelRef: record.modelRef,
          plainHttp: record.plainHttp,
          ...(record.labels ? { labels: record.labels } : {}),
        });
      },
      async running() {
        return readdirSync(remoteDir).filter((name) => {
          const pidFile = join(remoteDir, name, 'pid');
          return existsSync(pidFile) && isProcessAlive(Number(readFileSync(pidFile, 'utf8')));
        });
      },
      async stop() {
        await sshd.stop();
        rmSync(remoteDir, { recursive: true, force: true });
      },
    };
  });
});
