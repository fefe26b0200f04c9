import { z } from 'zod';
import { RUNTIME_PATH_IN_IMAGE } from './runtime-command';

/** A deployment name becomes a pod, process-folder and Kubernetes object name: keep it a DNS label. */
export const DeploymentNameSchema = z
  .string()
  .regex(
    /^[a-z0-9]([a-z0-9-]{0,46}[a-z0-9])?$/,
    'use lowercase letters, digits and dashes (at most 48), like "iris-prod"',
  );

const targetName = z.string().min(1);

/** An SSH host or user goes to ssh as an operand: never an option, never more than one word. */
const sshOperand = (what: string) =>
  z
    .string()
    .min(1)
    .regex(/^[^-\s]/, `a ${what} cannot start with "-" or a space: ssh would read it as an option`)
    .regex(/^[^\s@]+$/, `a ${what} is one word without spaces or "@"`);

/** Bound to loopback unless a target says otherwise: a model server is not on the network by accident. */
const bindHost = z.string().min(1).default('127.0.0.1');

export const PodmanTargetConfigSchema = z.object({
  kind: z.literal('podman'),
  name: targetName,
  /** `http://127.0.0.1:8888` (podman system service tcp:…) or `unix:///run/podman/podman.sock`. */
  address: z.string().min(1),
  /** An image holding serve.py at `runtimePath` and a Python with the model's framework (runtime/Containerfile). */
  image: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(8080),
  /** The address the server binds inside the host network; `0.0.0.0` puts it on the network. */
  bindHost,
  /** Host folders mounted read-only at the same path, e.g. a host Python: ["/usr", "/lib", "/lib64"]. */
  hostPaths: z.array(z.string().startsWith('/')).default([]),
  python: z.string().default('python3'),
  runtimePath: z.string().default(RUNTIME_PATH_IN_IMAGE),
  /** The host that test requests go to; defaults to the API's host (or 127.0.0.1 for a unix socket). */
  endpointHost: z.string().optional(),
});
export type PodmanTargetConfig = z.infer<typeof PodmanTargetConfigSchema>;

export const SshTargetConfigSchema = z.object({
  kind: z.literal('ssh'),
  name: targetName,
  host: sshOperand('host'),
  sshPort: z.number().int().min(1).max(65535).default(22),
  user: sshOperand('user name'),
  keyFile: z.string().min(1),
  /**
   * `accept-new` trusts a host on first contact and refuses it if its key ever changes; `yes` only
   * connects to hosts already in known_hosts. Never `no`.
   */
  strictHostKeyChecking: z.enum(['yes', 'accept-new']).default('accept-new'),
  /** A known_hosts file of its own (default: ssh's usual ~/.ssh/known_hosts). */
  knownHostsFile: z.string().optional(),
  /** The folder on the host for the runtime and one sub-folder per deployment (relative: under the home). */
  remoteDir: z.string().default('.trackside/serve'),
  python: z.string().default('python3'),
  /** The port the model server listens on; each deployment on one host needs its own. */
  port: z.number().int().min(1).max(65535).default(8080),
  /** The address the server binds on the host; `0.0.0.0` puts it on the network. */
  bindHost,
  /** The host test requests go to (default: `host`). */
  endpointHost: z.string().optional(),
});
export type SshTargetConfig = z.infer<typeof SshTargetConfigSchema>;

export const KServeTargetConfigSchema = z.object({
  kind: z.literal('kserve'),
  name: targetName,
  /** The workspace folder manifests are written into (`deploy/kserve/`, `deploy/kubernetes/`); the editor and CLI fill it in. */
  workspaceRoot: z.string().min(1).optional(),
  namespace: z.string().optional(),
  /** Run `kubectl apply` after writing, when kubectl has a current context. */
  apply: z.boolean().default(true),
  kubectl: z.string().default('kubectl'),
  /** The runtime image for the plain Deployment manifest: the tag runtime/Containerfile's build command gives. */
  runtimeImage: z.string().default('localhost/trackside-runtime:latest'),
  port: z.number().int().min(1).max(65535).default(8080),
});
export type KServeTargetConfig = z.infer<typeof KServeTargetConfigSchema>;

export const TargetConfigSchema = z.discriminatedUnion('kind', [
  PodmanTargetConfigSchema,
  SshTargetConfigSchema,
  KServeTargetConfigSchema,
]);
export type TargetConfig = z.infer<typeof TargetConfigSchema>;

/** The `trackside.targets` setting and the CLI's targets file: a list of named targets. */
export const TargetsFileSchema = z.object({ targets: z.array(TargetConfigSchema) });
