import { describe } from 'node:test';
import { PodmanTargetConfigSchema } from '../../../src/core/deploy/targets-config';
import { HOST_PYTHON_PATHS, PodmanService, RUNTIME_IMAGE } from '../../fixtures/deploy/podman-service';
import { freePortBlock } from '../../fixtures/monitoring/port-block';
import { SYSTEM_PYTHON } from '../../fixtures/deploy/trained-models';
import { monitoringScenario } from '../../fixtures/monitoring/scenario';

describe('monitoring a model served by Podman (real libpod API, real registry)', () => {
  monitoringScenario(async () => {
    const podman = await PodmanService.start();
    await podman.buildRuntimeImage();
    const config = PodmanTargetConfigSchema.parse({
      kind: 'podman',
      name: 'lab-podman',
      address: podman.address,
      image: RUNTIME_IMAGE,
      port: await freePortBlock(3),
      bindHost: '127.0.0.1',
      hostPaths: HOST_PYTHON_PATHS,
      python: SYSTEM_PYTHON,
    });
    return {
      config,
      // A pod from play/kube stops with its last container (and Podman 4's `pod restart` leaves such a pod
      // half stopped), so the restart is the one a crashed server gets: its container stops, the pod starts.
      async restart(record) {
        const label = `label=trackside.deployment=${record.instance ?? record.name}`;
        const containers = (await podman.podman(['ps', '-q', '--filter', label])).split('\n').filter(Boolean);
        const pods = (await podman.podman(['ps', '--filter', label, '--format', '{{.Pod}}']))
          .split('\n')
          .filter(Boolean);
        await podman.podman(['stop', '-t', '5', ...containers]);
        await podman.podman(['pod', 'start', ...new Set(pods)]);
      },
      running: () => podman.containerNames(),
      stop: () => podman.stop(),
    };
  });
});
