import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { constants as vmConstants, Script } from 'node:vm';

/**
 * Loads one command bundle of the built CLI (dist/cli/<command>.js, or a library bundle such as
 * dist/cli/lib-zod.js) with V8's code cache: compiling a bundle took a good part of `trackside
 * run`'s start, and a cached compilation is read back several times faster. The cache is written on
 * first use, for the Node that runs the CLI (V8 refuses a cache from another version, and then
 * compiles as usual), in a folder of the user's own under the temp folder: the extension's folder
 * may be read-only, and a cache that someone else could write would be code run as this user. Any
 * failure to read or write the cache only costs the time it would save.
 */

/** CommonJS's module wrapper, spelled out so the cached compilation is of the same text every time. */
const WRAPPER_START = '(function (exports, require, module, __filename, __dirname) { ';
const WRAPPER_END = '\n});';

type ModuleFunction = (
  exports: unknown,
  require: NodeJS.Require,
  module: { exports: unknown },
  filename: string,
  dirname: string,
) => void;

/** This user's cache folder; on POSIX only used when the user alone can write it. */
function cacheFolder(): string {
  const uid = process.getuid?.();
  return join(tmpdir(), uid === undefined ? 'trackside-code-cache' : `trackside-code-cache-${uid}`);
}

function isPrivateFolder(dir: string): boolean {
  const uid = process.getuid?.();
  if (uid === undefined) return true;
  try {
    const info = lstatSync(dir);
    return info.isDirectory() && info.uid === uid && (info.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

function cachePathFor(file: string): string {
  const info = statSync(file);
  const id = createHash('sha256')
    .update(`${process.version}\0${process.arch}\0${file}\0${info.size}\0${info.mtimeMs}`)
    .digest('hex')
    .slice(0, 32);
  return join(cacheFolder(), `${id}.bin`);
}

function readCache(path: string): Buffer | undefined {
  if (!isPrivateFolder(dirname(path))) return undefined;
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

function writeCache(path: string, data: Buffer): void {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    if (!isPrivateFolder(dirname(path))) return;
    // Written aside and renamed, so a CLI started meanwhile never reads half a cache.
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, data);
    renameSync(temporary, path);
  } catch {
    // A cache that cannot be written is only time not saved.
  }
}

/** Bundles already loaded in this process, shared by the copies of this module in every bundle. */
function loadedBundles(): Map<string, unknown> {
  const key = Symbol.for('trackside.cli.loadedBundles');
  const holder = globalThis as { [key]?: Map<string, unknown> };
  return (holder[key] ??= new Map());
}

/**
 * `require(file)` for a command or library bundle, compiled from V8's code cache when there is one.
 * Like require, a bundle runs once per process: a library shared by several commands (zod for run
 * and submit) is one instance.
 */
export function loadCommandBundle(file: string): unknown {
  const loaded = loadedBundles();
  if (loaded.has(file)) return loaded.get(file);
  const source = readFileSync(file, 'utf8');
  const cachePath = cachePathFor(file);
  const cachedData = readCache(cachePath);
  const script = new Script(`${WRAPPER_START}${source}${WRAPPER_END}`, {
    filename: file,
    cachedData,
    // A bundle's `import()` resolves as it would in a module Node loaded itself.
    importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const module = { exports: {} as unknown };
  (script.runInThisContext() as ModuleFunction)(module.exports, createRequire(file), module, file, dirname(file));
  loaded.set(file, module.exports);
  // After the bundle ran, the cache also holds the functions its start-up compiled.
  if (cachedData === undefined || script.cachedDataRejected === true) writeCache(cachePath, script.createCachedData());
  return module.exports;
}
