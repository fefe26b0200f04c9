import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../user-error';
import type { DeploymentTarget, RuntimeSpec } from './target';

/** Where `serve.py` sits inside the runtime image (see runtime/Containerfile); `router.py` sits beside it. */
export const RUNTIME_PATH_IN_IMAGE = '/opt/trackside/serve.py';

export type RuntimeScript = 'serve.py' | 'router.py';

/** How much of its traffic a model server writes to its prediction log; serve.py's defaults fill the rest. */
export interface PredictionLogSettings {
  /** Share of answered requests logged, 0–1 (default 1; 0 turns the log off). */
  sampleRate?: number;
  /** Size at which the log rotates (default 50 MB). */
  maxBytes?: number;
  /** Files kept, the current one included (default 3). */
  files?: number;
}

/** One backend behind a router: a slot (`a`, `b`), where it listens, which version it serves, its share. */
export interface RouteSpec {
  slot: string;
  url: string;
  version: string;
  weight: number;
}

/**
 * What a deployment asks of its runtime beyond the model: where it listens when it is one of several
 * instances, its prediction log, its bearer token, or that it is the router in front of the others.
 */
export interface ServingOptions {
  /** The deployment the instance belongs to; its instances share one prediction-log folder (default: the spec's name). */
  group?: string;
  /** Listen on this port instead of the target's (a backend behind a router). */
  port?: number;
  /** Bind this address instead of the target's (backends bind loopback: only the router reaches them). */
  bindHost?: string;
  predictionLog?: PredictionLogSettings;
  /** Bearer token every route but the health checks needs; passed in the environment, never on the command line. */
  authToken?: string;
  /** Run router.py in front of these backends instead of a model server. */
  router?: RouterSettings;
}

export interface RouterSettings {
  routes: RouteSpec[];
  /** The token `PUT /-/routes` needs; kept on the target only (the instance's environment). */
  adminToken: string;
  /** Share the port with the model server already on it, which then drains (SO_REUSEPORT). */
  joinPort: boolean;
}

/** The environment variable that holds the router's admin token on the target. */
export const ROUTER_ADMIN_TOKEN_ENV = 'TRACKSIDE_ROUTER_ADMIN_TOKEN';

export function scriptOf(spec: RuntimeSpec): RuntimeScript {
  return spec.serving?.router ? 'router.py' : 'serve.py';
}

/** The deployment an instance's prediction log is filed under. */
export function groupOf(spec: RuntimeSpec): string {
  return spec.serving?.group ?? spec.name;
}

/** Where the instance listens: its own port and address when it has them, else the target's. */
export function listenOf(
  spec: RuntimeSpec,
  target: { bindHost: string; port: number },
): { host: string; port: number } {
  return { host: spec.serving?.bindHost ?? target.bindHost, port: spec.serving?.port ?? target.port };
}

/**
 * The runtime script's arguments for one spec. Credentials and tokens go in the environment instead,
 * so they never show in a process list. `predictionLogPath` is where a model server appends its log,
 * as the target lays out its folders.
 */
export function runtimeArguments(
  spec: RuntimeSpec,
  listen: { host: string; port: number },
  predictionLogPath?: string,
): string[] {
  const where = ['--host', listen.host, '--port', String(listen.port)];
  const router = spec.serving?.router;
  if (router) {
    return [
      '--model-name',
      spec.modelName,
      '--routes',
      JSON.stringify(router.routes),
      ...where,
      ...(router.joinPort ? ['--join-port'] : []),
    ];
  }
  const args = ['--model-name', spec.modelName, '--model-ref', spec.modelRef];
  if (spec.modelFile) args.push('--model-file', spec.modelFile);
  args.push(...where);
  if (spec.registry.plainHttp) args.push('--plain-http');
  if (predictionLogPath) args.push(...predictionLogArguments(predictionLogPath, spec.serving?.predictionLog));
  return args;
}

function predictionLogArguments(path: string, settings: PredictionLogSettings = {}): string[] {
  const args = ['--prediction-log', path];
  if (settings.sampleRate !== undefined) args.push('--sample-rate', String(settings.sampleRate));
  if (settings.maxBytes !== undefined) args.push('--log-max-bytes', String(settings.maxBytes));
  if (settings.files !== undefined) args.push('--log-files', String(settings.files));
  return args;
}

export function runtimeEnvironment(spec: RuntimeSpec): Record<string, string> {
  const env: Record<string, string> = {};
  if (spec.registry.username) env.TRACKSIDE_REGISTRY_USERNAME = spec.registry.username;
  if (spec.registry.password) env.TRACKSIDE_REGISTRY_PASSWORD = spec.registry.password;
  if (spec.registry.token) env.TRACKSIDE_REGISTRY_TOKEN = spec.registry.token;
  if (spec.serving?.authToken) env.TRACKSIDE_AUTH_TOKEN = spec.serving.authToken;
  if (spec.serving?.router) env[ROUTER_ADMIN_TOKEN_ENV] = spec.serving.router.adminToken;
  return env;
}

/**
 * A runtime script on this machine. Bundled, the scripts are in `dist/runtime/` beside the bundle;
 * run from source (tests, tsx), they sit in `runtime/` beside this file.
 */
export function runtimeScriptPath(script: RuntimeScript = 'serve.py'): string {
  const candidates = [
    join(__dirname, 'runtime', script),
    resolve(__dirname, '..', 'src', 'core', 'deploy', 'runtime', script),
  ];
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new RuntimeScriptMissingError(script, candidates);
  return found;
}

export class RuntimeScriptMissingError extends UserError {
  readonly reason = 'missing';
  constructor(
    readonly script: RuntimeScript,
    readonly searched: string[],
  ) {
    super(`the model server's ${script} was not found in ${searched.join(', ')} — rebuild with npm run build`);
  }
}

/**
 * A target whose instances run Trackside's runtime and can hand back what it wrote: the prediction
 * logs of a deployment, and the environment an instance was started with (where the router's admin
 * token lives, so it is never kept on this machine).
 */
export interface ServingTarget extends DeploymentTarget {
  /**
   * The prediction-log folder of every instance of `group`, as a tar archive (empty when nothing was
   * logged yet). Throws a DeployError when the target no longer has a way to reach the folder.
   */
  readPredictionLogs(group: string, signal?: AbortSignal): Promise<Buffer>;
  /** One variable of the environment `instance` was started with, if it is there. */
  instanceEnvironment(instance: string, key: string, signal?: AbortSignal): Promise<string | undefined>;
}

export function isServingTarget(target: DeploymentTarget): target is ServingTarget {
  const candidate = target as Partial<ServingTarget>;
  return typeof candidate.readPredictionLogs === 'function' && typeof candidate.instanceEnvironment === 'function';
}
