import { execFile } from 'node:child_process';
import { hostname, platform, arch, release, type } from 'node:os';
import type { CommandShape } from './command-line';
import type { Environment } from './protocol';

/** Packages whose versions are recorded for Python runs unless configured otherwise. */
export const DEFAULT_PACKAGES = ['torch', 'sklearn', 'numpy', 'pandas', 'tensorflow', 'transformers', 'jax'] as const;

/** Import names whose distribution is published under another name. */
const DISTRIBUTIONS: Record<string, string[]> = {
  sklearn: ['scikit-learn'],
  tensorflow: ['tensorflow', 'tensorflow-cpu', 'tensorflow-macos', 'tf-nightly'],
  torch: ['torch'],
  cv2: ['opencv-python', 'opencv-python-headless'],
  PIL: ['pillow'],
};

/**
 * Versions come from installed distribution metadata (importlib.metadata), never by importing the
 * packages: importing torch or tensorflow takes seconds, reading their METADATA takes microseconds.
 */
const PROBE = `
import json, platform, sys
names = json.loads(sys.argv[1])
out = {"executable": sys.executable, "version": platform.python_version(), "packages": {}}
try:
    from importlib import metadata
except ImportError:
    metadata = None
for name, dists in names:
    for dist in dists:
        try:
            out["packages"][name] = metadata.version(dist)
            break
        except Exception:
            pass
sys.stdout.write(json.dumps(out))
`;

async function buildProbeSchema() {
  const { z } = await import('zod');
  return z.object({ executable: z.string(), version: z.string(), packages: z.record(z.string(), z.string()) });
}

let probeSchema: ReturnType<typeof buildProbeSchema> | null = null;

/**
 * Loads zod and builds the schema the probe's answer is checked with; later calls share the one
 * load. Non-Python commands never load it. A caller that starts a command meanwhile calls it once
 * that command runs, so that loading zod (several milliseconds) delays neither its start nor the
 * end of the run; otherwise it is loaded when the answer arrives.
 */
export function loadProbeSchema(): ReturnType<typeof buildProbeSchema> {
  probeSchema ??= buildProbeSchema();
  return probeSchema;
}

interface ProbeResult {
  executable: string;
  version: string;
  packages: Record<string, string>;
}

export interface EnvironmentOptions {
  shape: CommandShape;
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Import names to record (defaults to DEFAULT_PACKAGES). */
  packages?: readonly string[];
  timeoutMs?: number;
}

export function baseEnvironment(): Environment {
  return {
    os: `${type()} ${release()}`,
    platform: platform(),
    arch: arch(),
    hostname: hostname(),
    node: process.version,
    interpreter: null,
    interpreterVersion: null,
    packages: {},
  };
}

/** The interpreter a command's packages are probed with, or null when it runs no Python. */
function probedInterpreter(shape: CommandShape): string | null {
  return shape.kind === 'python' ? (shape.interpreter ?? 'python3') : null;
}

/** True when completing the environment needs the interpreter probe (a short subprocess). */
export function environmentNeedsProbe(shape: CommandShape): boolean {
  return probedInterpreter(shape) !== null;
}

/**
 * What is known without starting any process: the machine, Node, and the interpreter as the command
 * names it. It is also what a run records when the probe fails.
 */
export function environmentBeforeProbe(shape: CommandShape): Environment {
  return { ...baseEnvironment(), interpreter: probedInterpreter(shape) };
}

/** The machine, Node, and for Python commands the interpreter and package versions (one short subprocess). */
export async function captureEnvironment(options: EnvironmentOptions): Promise<Environment> {
  const environment = environmentBeforeProbe(options.shape);
  const interpreter = environment.interpreter;
  if (!interpreter) return environment;
  const names = (options.packages ?? DEFAULT_PACKAGES).map((name) => [name, DISTRIBUTIONS[name] ?? [name]]);
  const probe = await runProbe(interpreter, JSON.stringify(names), options);
  if (probe) {
    environment.interpreter = probe.executable || interpreter;
    environment.interpreterVersion = probe.version;
    environment.packages = probe.packages;
  }
  return environment;
}

function runProbe(interpreter: string, names: string, options: EnvironmentOptions): Promise<ProbeResult | null> {
  return new Promise((resolve) => {
    execFile(
      interpreter,
      ['-c', PROBE, names],
      {
        cwd: options.cwd,
        env: { ...(options.env ?? process.env), PYTHONDONTWRITEBYTECODE: '1' },
        timeout: options.timeoutMs ?? 5000,
        maxBuffer: 1024 * 1024,
      },
      (error, stdout) => {
        if (error) return resolve(null);
        loadProbeSchema().then(
          (probe) => {
            try {
              const parsed = probe.safeParse(JSON.parse(stdout));
              resolve(parsed.success ? parsed.data : null);
            } catch {
              resolve(null);
            }
          },
          () => resolve(null),
        );
      },
    );
  });
}
