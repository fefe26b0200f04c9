import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RuntimeSpec } from './target';

/** Where `serve.py` sits inside the runtime image (see runtime/Containerfile). */
export const RUNTIME_PATH_IN_IMAGE = '/opt/trackside/serve.py';

/**
 * `serve.py`'s arguments for one spec. Registry credentials go in the environment instead, so they
 * never show in a process list.
 */
export function runtimeArguments(spec: RuntimeSpec, listen: { host: string; port: number }): string[] {
  const args = ['--model-name', spec.modelName, '--model-ref', spec.modelRef];
  if (spec.modelFile) args.push('--model-file', spec.modelFile);
  args.push('--host', listen.host, '--port', String(listen.port));
  if (spec.registry.plainHttp) args.push('--plain-http');
  return args;
}

export function runtimeEnvironment(spec: RuntimeSpec): Record<string, string> {
  const env: Record<string, string> = {};
  if (spec.registry.username) env.TRACKSIDE_REGISTRY_USERNAME = spec.registry.username;
  if (spec.registry.password) env.TRACKSIDE_REGISTRY_PASSWORD = spec.registry.password;
  return env;
}

/**
 * The runtime script on this machine. Bundled, it is `dist/runtime/serve.py` beside the bundle;
 * run from source (tests, tsx), it sits in `runtime/` beside this file.
 */
export function runtimeScriptPath(): string {
  const candidates = [
    join(__dirname, 'runtime', 'serve.py'),
    resolve(__dirname, '..', 'src', 'core', 'deploy', 'runtime', 'serve.py'),
  ];
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new RuntimeScriptMissingError(candidates);
  return found;
}

export class RuntimeScriptMissingError extends Error {
  readonly reason = 'missing';
  constructor(readonly searched: string[]) {
    super(`the model server (serve.py) was not found in ${searched.join(', ')} — rebuild with npm run build`);
    this.name = 'RuntimeScriptMissingError';
  }
}
