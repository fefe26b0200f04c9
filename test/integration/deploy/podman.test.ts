import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Deployer } from '../../../src/core/deploy/deployer';
import { DeployError, DeploymentFailedError } from '../../../src/core/deploy/errors';
import { DEPLOYMENT_LABEL, PREDICTIONS_MOUNT } from '../../../src/core/deploy/podman/deployment-yaml';
import { PodmanTarget } from '../../../src/core/deploy/podman/podman-target';
import { DeploymentStore } from '../../../src/core/deploy/record-store';
import { createTargets } from '../../../src/core/deploy/target-factory';
import { PodmanTargetConfigSchema, type PodmanTargetConfig } from '../../../src/core/deploy/targets-config';
import { StaticCredentials } from '../../../src/core/registry/credentials';
import { pushModel } from '../../../src/core/registry/push';
import { pushModelFiles, type PushedModel } from '../../fixtures/deploy/model-pusher';
import { HOST_PYTHON_PATHS, PodmanService } from '../../fixtures/deploy/podman-service';
import { RegistryServer } from '../../fixtures/deploy/registry-server';
import { freePort } from '../../fixtures/deploy/service-process';
import { hostileStrings } from '../../fixtures/hostile-strings';
import { TestRegistry } from '../../fixtures/registry/docker-registry';
import { demoInput } from '../../fixtures/registry/model-files';
import { TokenServer } from '../../fixtures/registry/token-server';
import { eventually } from '../../fixtures/polling';
import {
  SYSTEM_PYTHON,
  inferRequestFor,
  trainIrisModel,
  writeCorruptModel,
  type TrainedModel,
} from '../../fixtures/deploy/trained-models';

describe('deploying to Podman (real libpod API, real registry)', () => {
  let registry: RegistryServer;
  let podman: PodmanService;
  let work: string;
  let workspace: string;
  let logistic: TrainedModel;
  let stump: TrainedModel;
  let v1: PushedModel;
  let v2: PushedModel;
  let corrupt: PushedModel;
  let deployer: Deployer;
  let port: number;
  let target: PodmanTargetConfig;

  const TARGET = 'local-podman';

  before(async () => {
    [registry, podman] = await Promise.all([RegistryServer.start(), PodmanService.start()]);
    await podman.buildRuntimeImage();
    work = mkdtempSync(join(tmpdir(), 'trackside-deploy-podman-'));
    workspace = join(work, 'workspace');
    logistic = trainIrisModel(work, 'logistic', 'logistic.pkl');
    stump = trainIrisModel(work, 'stump', 'stump.pkl');
    v1 = await pushModelFiles(registry.host, 'team/iris', [logistic.path], 'v1');
    v2 = await pushModelFiles(registry.host, 'team/iris', [stump.path], 'v2');
    corrupt = await pushModelFiles(registry.host, 'team/broken', [writeCorruptModel(work)], 'v1');
    target = PodmanTargetConfigSchema.parse({
      kind: 'podman',
      name: TARGET,
      address: podman.address,
      image: 'localhost/trackside-runtime:test',
      port: (port = await freePort()),
      bindHost: '127.0.0.1',
      hostPaths: HOST_PYTHON_PATHS,
      python: SYSTEM_PYTHON,
    });
    deployer = new Deployer({
      store: new DeploymentStore(workspace),
      targets: createTargets([target]),
      healthTimeoutMs: 60_000,
    });
  });

  after(async () => {
    await Promise.allSettled([podman?.stop(), registry?.stop()]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('serves the pushed model and answers with the same predictions as the model in-process', async () => {
    const steps: string[] = [];
    const record = await deployer.deploy(
      { target: TARGET, name: 'iris', modelRef: v1.ref, plainHttp: true },
      { onProgress: (p) => steps.push(p.step) },
    );
    assert.equal(record.status, 'ready');
    assert.equal(record.digest, v1.digest);
    assert.ok(steps.includes('health'), `progress reported: ${steps.join(', ')}`);

    const response = await deployer.infer(record, inferRequestFor(logistic.inputs));
    assert.equal(response.model_name, 'iris');
    assert.deepEqual(response.outputs[0]?.data, logistic.predictions);
    assert.ok(
      (await deployer.logs(record)).some((line) => line.includes('verified')),
      'the runtime verified the pull',
    );
  });

  it('replaces with a second version, rolls back to the first, and undeploys idempotently', async () => {
    const second = await deployer.deploy({ target: TARGET, name: 'iris', modelRef: v2.ref, plainHttp: true });
    assert.equal(second.status, 'ready');
    assert.deepEqual((await deployer.infer(second, inferRequestFor(stump.inputs))).outputs[0]?.data, stump.predictions);
    assert.notDeepEqual(stump.predictions, logistic.predictions, 'the two versions must be distinguishable');

    const rolledBack = await deployer.rollback(TARGET, 'iris');
    assert.equal(rolledBack.digest, v1.digest);
    assert.equal(rolledBack.rolledBackFrom, second.id);
    assert.deepEqual(
      (await deployer.infer(rolledBack, inferRequestFor(logistic.inputs))).outputs[0]?.data,
      logistic.predictions,
    );

    // The records survive a restart: a fresh store over the same folder tells the whole story.
    const history = new DeploymentStore(workspace).history(TARGET, 'iris');
    assert.deepEqual(
      history.map((r) => [r.digest, r.status]),
      [
        [v1.digest, 'replaced'],
        [v2.digest, 'replaced'],
        [v1.digest, 'ready'],
      ],
    );

    const undeployed = await deployer.undeploy(TARGET, 'iris');
    assert.equal(undeployed?.status, 'undeployed');
    assert.deepEqual(await podman.containerNames(), []);
    assert.deepEqual(await podman.podNames(), []);
    assert.equal(await deployer.undeploy(TARGET, 'iris'), undefined, 'a second undeploy is a no-op');
    await assert.rejects(
      fetch(`${rolledBack.endpoint}/v2/health/live`),
      'nothing answers on the endpoint after undeploy',
    );
  });

  it('ends a model that fails to load as a failed deployment with the loader error, leaving nothing running', async () => {
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
      `log tail shows the loader's error:\n${error.logTail.join('\n')}`,
    );
    const record = new DeploymentStore(workspace).get(error.recordId);
    assert.equal(record?.status, 'failed');
    assert.equal(record?.error?.reason, 'model-load-failed');
    assert.deepEqual(record?.error?.logTail, error.logTail);
    assert.deepEqual(await podman.containerNames(), []);
    assert.deepEqual(await podman.podNames(), []);
  });

  it('gives the server a token scoped to pulling its model, not the password, where the registry has a token service', async () => {
    const tokens = await TokenServer.start({ alice: 'alice-secret' });
    const tokenRegistry = await TestRegistry.start({ token: tokens.auth });
    try {
      const credentials = { username: 'alice', password: 'alice-secret' };
      const pushed = await pushModel(
        demoInput(logistic.path, { name: 'iris' }),
        { endpoint: { url: tokenRegistry.url }, repository: 'team/iris-private', tags: ['v1'] },
        { credentials: new StaticCredentials(credentials) },
      );
      const scoped = new Deployer({
        store: new DeploymentStore(workspace),
        targets: createTargets([target]),
        healthTimeoutMs: 60_000,
        registryCredentials: async () => credentials,
      });
      const modelRef = `${tokenRegistry.host}/team/iris-private@${pushed.digest}`;
      const record = await scoped.deploy({ target: TARGET, name: 'iris-token', modelRef, plainHttp: true });
      assert.equal(record.status, 'ready');
      const response = await scoped.infer(record, inferRequestFor(logistic.inputs));
      assert.deepEqual(response.outputs[0]?.data, logistic.predictions);

      const podmanTarget = new PodmanTarget(target);
      assert.equal(await podmanTarget.instanceEnvironment('iris-token', 'TRACKSIDE_REGISTRY_PASSWORD'), undefined);
      assert.equal(await podmanTarget.instanceEnvironment('iris-token', 'TRACKSIDE_REGISTRY_USERNAME'), undefined);
      const token = await podmanTarget.instanceEnvironment('iris-token', 'TRACKSIDE_REGISTRY_TOKEN');
      assert.ok(token, 'the server got a token');
      const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
        sub: string;
        access: { name: string; actions: string[] }[];
      };
      assert.deepEqual(
        [claims.sub, claims.access],
        ['alice', [{ type: 'repository', name: 'team/iris-private', actions: ['pull'] }]],
        'the token lets its holder pull this one repository, and nothing else',
      );
      await scoped.undeploy(TARGET, 'iris-token');
    } finally {
      await tokenRegistry.stop();
      await tokens.stop();
    }
  });

  it('hostile model names, files, references and credentials reach the container as they were, one word each', async () => {
    // A model name, file or reference can come from a repository the user just cloned, a password
    // from anywhere: each crosses into the YAML that play/kube reads, then into the container's argv
    // or environment. A stand-in for serve.py reports what it was given; nothing else may run or mount.
    const echoDir = join(work, 'echo');
    mkdirSync(echoDir);
    const canary = '/tmp/trackside-podman-canary';
    writeFileSync(
      join(echoDir, 'echo.py'),
      [
        'import json, os, sys',
        'env = {k: v for k, v in os.environ.items() if k.startswith("TRACKSIDE_")}',
        `print(json.dumps({"argv": sys.argv[1:], "env": env, "canary": os.path.exists(${JSON.stringify(canary)})}))`,
        '',
      ].join('\n'),
    );
    const echo = new PodmanTarget(
      PodmanTargetConfigSchema.parse({
        kind: 'podman',
        name: 'echo',
        address: podman.address,
        image: 'localhost/trackside-runtime:test',
        port: await freePort(),
        bindHost: '127.0.0.1',
        hostPaths: [...HOST_PYTHON_PATHS, echoDir],
        python: SYSTEM_PYTHON,
        runtimePath: join(echoDir, 'echo.py'),
      }),
    );
    // No argv word or environment value can hold a NUL (the OS refuses it before any YAML).
    const words = hostileStrings(canary, 17).filter((w) => !w.includes('\u0000'));
    for (let round = 0; round * 4 < words.length; round++) {
      const [modelName = 'm', modelFile = 'f', username = 'u', password = 'p'] = words.slice(round * 4, round * 4 + 4);
      const name = `fuzz-${round}`;
      const spec = {
        name,
        modelName,
        modelRef: `${modelFile}@sha256:0`,
        modelFile,
        registry: { plainHttp: false, username, password },
      };
      const refused = await echo.deploy(spec).then(
        () => null,
        (error: unknown) => error,
      );
      if (refused) {
        // Podman's own YAML round trip (go-yaml) cannot carry some values that start with a line
        // break (a newline or U+2028 before text): it refuses the whole pod, so nothing runs. Any
        // other refusal is a bug.
        assert.ok(refused instanceof DeployError && /YAML/.test(refused.message), String(refused));
        assert.ok(
          [modelName, modelFile, username, password].some((w) => /^[\n\r\u0085\u2028\u2029]/.test(w)),
          refused.message,
        );
        assert.deepEqual(await podman.containerNames(), []);
        continue;
      }
      await eventually(`${name} ran`, async () => (await echo.status(name)).state === 'exited');
      const [line = ''] = (await echo.logs(name, undefined, 5)).filter((l) => l.startsWith('{'));
      const seen = JSON.parse(line) as { argv: string[]; env: Record<string, string>; canary: boolean };
      const after = (flag: string) => seen.argv[seen.argv.indexOf(flag) + 1];
      assert.deepEqual(
        [after('--model-name'), after('--model-file'), after('--model-ref')],
        [modelName, modelFile, spec.modelRef],
        `the argv of ${name}: ${line}`,
      );
      assert.deepEqual(seen.env, { TRACKSIDE_REGISTRY_USERNAME: username, TRACKSIDE_REGISTRY_PASSWORD: password });
      assert.equal(seen.canary, false, 'no hostile word ran inside the container');
      const [id] = (
        await podman.podman(['ps', '-aq', '--filter', `label=${DEPLOYMENT_LABEL}=${name}`, '--filter', 'label=app'])
      ).split('\n');
      const mounts = JSON.parse(
        await podman.podman(['container', 'inspect', '--format', '{{json .Mounts}}', id ?? '']),
      ) as { Destination: string }[];
      assert.deepEqual(
        mounts.map((m) => m.Destination).sort(),
        [...HOST_PYTHON_PATHS, echoDir, PREDICTIONS_MOUNT].sort(),
        'nothing else is mounted',
      );
      await echo.undeploy(name);
    }
    assert.equal(existsSync(canary), false, 'no hostile word ran on the host');
    assert.deepEqual(await podman.containerNames(), []);
  });

  it('deploys, lists and undeploys from the command line with a target given by flags', async () => {
    const targetFlags = [
      '--target',
      'cli-podman',
      '--podman',
      podman.address,
      '--image',
      'localhost/trackside-runtime:test',
      '--port',
      String(port),
      '--python',
      SYSTEM_PYTHON,
      ...HOST_PYTHON_PATHS.flatMap((p) => ['--host-path', p]),
      '--workspace',
      workspace,
    ];
    const deployed = await cli([
      'deploy',
      ...targetFlags,
      '--name',
      'iris-cli',
      '--image-ref',
      v1.ref,
      '--plain-http',
      '--json',
    ]);
    assert.equal(deployed.code, 0, deployed.stderr);
    const record = JSON.parse(deployed.stdout) as { status: string; endpoint: string };
    assert.equal(record.status, 'ready');
    const response = await fetch(`${record.endpoint}/v2/models/iris-cli/infer`, {
      method: 'POST',
      body: JSON.stringify(inferRequestFor(logistic.inputs)),
    });
    assert.deepEqual(
      ((await response.json()) as { outputs: { data: number[] }[] }).outputs[0]?.data,
      logistic.predictions,
    );

    const listed = await cli(['deployments', '--workspace', workspace]);
    assert.match(listed.stdout, /iris-cli on cli-podman: ready/);

    assert.equal((await cli(['undeploy', ...targetFlags, '--name', 'iris-cli'])).code, 0);
    const again = await cli(['undeploy', ...targetFlags, '--name', 'iris-cli']);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /nothing was serving/);
    assert.deepEqual(await podman.containerNames(), []);
  });
});

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(__dirname, '..', '..', '..', 'src', 'cli', 'main.ts'), ...args],
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}
