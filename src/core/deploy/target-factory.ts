import { KServeTarget } from './kserve/kserve-target';
import { PodmanTarget } from './podman/podman-target';
import { SshTarget } from './ssh/ssh-target';
import type { DeploymentTarget } from './target';
import type { TargetConfig } from './targets-config';

export function createTarget(config: TargetConfig): DeploymentTarget {
  switch (config.kind) {
    case 'podman':
      return new PodmanTarget(config);
    case 'ssh':
      return new SshTarget(config);
    case 'kserve':
      return new KServeTarget(config);
  }
}

/** Targets by name, as the Deployer takes them. */
export function createTargets(configs: TargetConfig[]): Map<string, DeploymentTarget> {
  return new Map(configs.map((config) => [config.name, createTarget(config)]));
}
