import { setTimeout as sleep } from 'node:timers/promises';
import { DeployError, reasonForRuntimeExit } from './errors';
import { isServerReady } from './oip-client';
import type { DeployedInstance, DeploymentTarget } from './target';

export interface HealthWaitOptions {
  timeoutMs: number;
  pollIntervalMs: number;
  signal?: AbortSignal;
}

/**
 * Waits until the instance reports ready. Between probes it asks the target whether the server
 * process is still there, so a server that exits (bad model, port taken) fails at once with the
 * reason its exit code names, instead of after the whole timeout.
 */
export async function waitUntilReady(
  target: DeploymentTarget,
  name: string,
  instance: DeployedInstance,
  options: HealthWaitOptions,
): Promise<void> {
  if (instance.readiness === 'none') return;
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (options.signal?.aborted) throw new DeployError('aborted', `deploying ${name} was cancelled`);
    const state = await target.status(name, instance.handle, options.signal);
    if (state.state === 'exited') {
      const code = state.exitCode ?? -1;
      throw new DeployError(reasonForRuntimeExit(code), `the model server for ${name} exited with code ${code}`);
    }
    if (state.state === 'missing') {
      throw new DeployError('container-exited', `the model server for ${name} is gone from ${target.name}`);
    }
    const ready =
      instance.readiness === 'target'
        ? state.state === 'ready'
        : instance.endpoint !== undefined && (await isServerReady(instance.endpoint, options.signal));
    if (ready) return;
    if (Date.now() >= deadline) {
      throw new DeployError(
        'health-timeout',
        `${name} did not report ready within ${Math.round(options.timeoutMs / 1000)} s` +
          (instance.endpoint ? ` at ${instance.endpoint}/v2/health/ready` : ''),
      );
    }
    try {
      await sleep(options.pollIntervalMs, undefined, { signal: options.signal });
    } catch {
      throw new DeployError('aborted', `deploying ${name} was cancelled`);
    }
  }
}
