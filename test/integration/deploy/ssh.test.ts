import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Deployer } from '../../../src/core/deploy/deployer';
import { DeploymentFailedError } from '../../../src/core/deploy/errors';
import { DeploymentStore } from '../../../src/core/deploy/record-store';
import { SshTarget } from '../../../src/core/deploy/ssh/ssh-target';
import { createTargets } from '../../../src/core/deploy/target-factory';
import { SshTargetConfigSchema, type SshTargetConfig } from '../../../src/core/deploy/targets-config';
import { pushModelFiles, type PushedModel } from '../../fixtures/deploy/model-pusher';
import { RegistryServer } from '../../fixtures/deploy/registry-server';
import { freePort } from '../../fixtures/deploy/service-process';
import { SshdServer } from '../../fixtures/deploy/sshd-server';
import {
  SYSTEM_PYTHON,
  inferRequestFor,
  trainIrisModel,
  writeCorruptModel,
  type TrainedModel,
} from '../../fixtures/deploy/trained-models';
import { isProcessAlive } from '../../../src/core/runs/ingest-status';

describe('deploying to an SSH host (real sshd, real registry)', () => {
  let registry: RegistryServer;
  let sshd: SshdServer;
  let work: string;
  let remoteDir: string;
  let model: TrainedModel;
  let pushed: PushedModel;
  let corrupt: PushedModel;
  let config: SshTargetConfig;
  let deployer: Deployer;

  const TARGET = 'lab-box';

  before(async () => {
    [registry, sshd] = await Promise.all([RegistryServer.start(), SshdServer.start()]);
    work = mkdtempSync(join(tmpdir(), 'trackside-deploy-ssh-'));
    remoteDir = join(work, 'remote');
    model = trainIrisModel(work, 'logistic');
    pushed = await pushModelFiles(registry.host, 'team/iris', [model.path]);
    corrupt = await pushModelFiles(registry.host, 'team/broken', [writeCorruptModel(work, 'broken.pkl')]);
    config = SshTargetConfigSchema.parse({
      kind: 'ssh',
      name: TARGET,
      host: '127.0.0.1',
      sshPort: sshd.port,
      user: sshd.user,
      keyFile: sshd.keyFile,
      knownHostsFile: sshd.knownHostsFile,
      remoteDir,
      python: SYSTEM_PYTHON,
      port: await freePort(),
      bindHost: '127.0.0.1',
    });
    deployer = new Deployer({
      store: new DeploymentStore(join(work, 'workspace')),
      targets: createTargets([config]),
      healthTimeoutMs: 60_000,
    });
  });

  after(async () => {
    await Promise.allSettled([sshd?.stop(), registry?.stop()]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('copies the runtime, serves the model, answers like the model in-process, and stops it', async () => {
    const record = await deployer.deploy({ target: TARGET, name: 'iris', modelRef: pushed.ref, plainHttp: true });
    assert.equal(record.status, 'ready');
    assert.ok(existsSync(join(remoteDir, 'serve.py')), 'the runtime was copied to the host');
    const pid = Number(record.handle?.pid);
    assert.ok(isProcessAlive(pid), 'the recorded pid is the running server');

    const response = await deployer.infer(record, inferRequestFor(model.inputs));
    assert.deepEqual(response.outputs[0]?.data, model.predictions);

    assert.equal((await deployer.undeploy(TARGET, 'iris'))?.status, 'undeployed');
    assert.equal(isProcessAlive(pid), false, 'the server process is gone');
    assert.equal(existsSync(join(remoteDir, 'iris')), false);
    assert.equal(await deployer.undeploy(TARGET, 'iris'), undefined, 'a second undeploy is a no-op');
  });

  it('ends a model that fails to load as failed with the loader error and no process left', async () => {
    const error = await deployer
      .deploy({ target: TARGET, name: 'broken', modelRef: corrupt.ref, plainHttp: true })
      .then(
        () => assert.fail('a corrupt model must not deploy'),
        (e: unknown) => e,
      );
    assert.ok(error instanceof DeploymentFailedError);
    assert.equal(error.reason, 'model-load-failed');
    assert.ok(
      error.logTail.some((line) => line.includes('UnpicklingError')),
      error.logTail.join('\n'),
    );
    assert.equal(existsSync(join(remoteDir, 'broken')), false, 'its folder (and pid) were removed');
    const status = await new SshTarget(config).status('broken', undefined);
    assert.equal(status.state, 'missing');
  });

  it('reports a key the host refuses as such, with a next step', async () => {
    const target = new SshTarget({ ...config, keyFile: sshd.unknownKeyFile });
    const store = new DeploymentStore(join(work, 'refused'));
    const refused = new Deployer({ store, targets: new Map([[TARGET, target]]) });
    const error = await refused.deploy({ target: TARGET, name: 'iris', modelRef: pushed.ref, plainHttp: true }).then(
      () => assert.fail('the wrong key must be refused'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof DeploymentFailedError);
    assert.equal(error.reason, 'auth-refused');
    assert.match(error.nextStep, /authorized_keys/);
    assert.equal(store.get(error.recordId)?.status, 'failed');
  });
});
