import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { HashCache, hashCachePath } from '../hashing/hash-cache';
import { hashPath } from '../hashing/file-hash';
import type { ArtifactEvent } from '../runs/protocol';

/**
 * Inputs recognised from a script's command line: existing files and folders passed as arguments
 * (`python train.py --data data/train.csv`), so a run records its data even when the script never
 * calls `log_input`. Values of options whose name says they are written (`--output-dir`, `--save`,
 * `--log-dir`…) are left out, as are folders that hold the workspace itself.
 */

export type PathProbe = (absolutePath: string) => 'file' | 'folder' | null;

export interface RecognizedInput {
  /** As the Python client writes it: workspace-relative with `/`, or absolute outside the workspace. */
  path: string;
  absolutePath: string;
  type: 'file' | 'folder';
  kind: 'dataset' | 'model';
}

/** Option names whose value is something the script writes, not reads. */
const OUTPUT_OPTION =
  /(^|[-_])(out|output|outputs|outdir|save|save[-_]?dir|log|logs|logdir|log[-_]?dir|checkpoint[-_]?dir|ckpt[-_]?dir|export|dest|destination|write|tensorboard|wandb|cache[-_]?dir|run[-_]?dir|results?)([-_]|$)/i;
const MODEL_FILE = /\.(pt|pth|pkl|pickle|joblib|onnx|safetensors|h5|keras|ckpt|bin|gguf|tflite|pb|mlmodel)$/i;

const defaultProbe: PathProbe = (path) => {
  try {
    const info = statSync(path);
    return info.isFile() ? 'file' : info.isDirectory() ? 'folder' : null;
  } catch {
    return null;
  }
};

function workspacePath(absolute: string, workspaceRoot: string): string {
  const rel = relative(workspaceRoot, absolute);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return absolute;
  return rel.split(sep).join('/');
}

/**
 * The arguments of a script that name existing files or folders, as input candidates. Pure apart
 * from `probe` (which tests use to stand in for the filesystem).
 */
export function recognizeInputPaths(
  scriptArgs: readonly string[],
  cwd: string,
  workspaceRoot: string,
  probe: PathProbe = defaultProbe,
): RecognizedInput[] {
  const found = new Map<string, RecognizedInput>();
  const root = resolve(workspaceRoot);
  let previousOption: string | null = null;
  for (const arg of scriptArgs) {
    if (arg === '--') {
      previousOption = null;
      continue;
    }
    let option = previousOption;
    let value = arg;
    if (arg.startsWith('-') && !/^-\d/.test(arg)) {
      const eq = arg.indexOf('=');
      if (eq < 0) {
        previousOption = arg;
        continue;
      }
      option = arg.slice(0, eq);
      value = arg.slice(eq + 1);
    }
    previousOption = null;
    if (!value || (option && OUTPUT_OPTION.test(option.replace(/^-+/, '')))) continue;
    // Only things that look like paths: bare words such as `adam` or `true` are never files here.
    if (!/[/\\.]/.test(value)) continue;
    const absolute = resolve(cwd, value);
    // The workspace, an ancestor of it, or the tracking folder is never a run's data.
    if (root === absolute || root.startsWith(absolute + sep) || absolute === sep) continue;
    if (absolute.split(sep).includes('.trackside')) continue;
    const type = probe(absolute);
    if (!type) continue;
    const kind = type === 'file' && MODEL_FILE.test(absolute) ? 'model' : 'dataset';
    found.set(absolute, { path: workspacePath(absolute, root), absolutePath: absolute, type, kind });
  }
  return [...found.values()];
}

export interface InputHashLimits {
  /** Folders with more files than this are not hashed at start (log them with `log_input` instead). */
  maxFolderFiles: number;
}

const DEFAULT_LIMITS: InputHashLimits = { maxFolderFiles: 5000 };

function folderWithin(path: string, maxFiles: number): boolean {
  let count = 0;
  const stack = [path];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (entry.isDirectory()) stack.push(resolve(dir, entry.name));
      else if (++count > maxFiles) return false;
    }
  }
  return true;
}

/**
 * Artifact events (role input) for the recognised arguments, hashed through the workspace's hash
 * cache. What cannot be hashed is left out rather than failing the run. The launcher appends them:
 * `events.appendAll(await argvInputArtifacts(run.shape.scriptArgs, run.cwd, run.workspaceRoot))`.
 */
export async function argvInputArtifacts(
  scriptArgs: readonly string[],
  cwd: string,
  workspaceRoot: string,
  limits: InputHashLimits = DEFAULT_LIMITS,
): Promise<ArtifactEvent[]> {
  const inputs = recognizeInputPaths(scriptArgs, cwd, workspaceRoot);
  if (inputs.length === 0) return [];
  const cache = await HashCache.load(hashCachePath(workspaceRoot));
  const events: ArtifactEvent[] = [];
  for (const input of inputs) {
    if (input.type === 'folder' && !folderWithin(input.absolutePath, limits.maxFolderFiles)) continue;
    try {
      const hash = await hashPath(input.absolutePath, cache);
      events.push({
        type: 'artifact',
        path: input.path,
        role: 'input',
        kind: input.kind,
        sha256: hash.sha256,
        size: hash.size,
        ts: Date.now() / 1000,
      });
    } catch {
      // Removed or unreadable between recognition and hashing: nothing to record.
    }
  }
  await cache.save().catch(() => undefined);
  return events;
}
