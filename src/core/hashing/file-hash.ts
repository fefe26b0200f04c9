import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Content hashes for artifacts and inputs. A folder's hash is sha256 over the lines
 * `<posix relative path>\0<sha256 hex of the file>\n` for every regular file below it, sorted by the
 * UTF-8 bytes of the path. The Python client implements the same algorithm, so a dataset hashed by a
 * training script and by the editor gets the same digest. Symlinks to files count as the file they
 * point to; symlinked folders are not followed (a link cycle would never end).
 */

export interface FileStamp {
  size: number;
  /** Nanosecond mtime as a decimal string: exact across Node and Python, unlike a float of milliseconds. */
  mtimeNs: string;
}

/** Looks up and stores file digests so unchanged files are not read again. */
export interface HashLookup {
  get(path: string, stamp: FileStamp): string | undefined;
  set(path: string, stamp: FileStamp, sha256: string): void;
}

export interface PathHash {
  sha256: string;
  /** Bytes in the file, or in all files of the folder. */
  size: number;
  kind: 'file' | 'folder';
  /** Number of files hashed (1 for a file). */
  files: number;
}

/** Streams a file through sha256 without holding it in memory. */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const stream = createReadStream(path, { highWaterMark: 1024 * 1024 });
    stream.on('data', (chunk) => hash.update(chunk));
    stream.on('error', reject);
    stream.on('end', () => resolve(hash.digest('hex')));
  });
}

async function stampOf(path: string): Promise<{ stamp: FileStamp; isFile: boolean; isDirectory: boolean }> {
  const info = await stat(path, { bigint: true });
  return {
    stamp: { size: Number(info.size), mtimeNs: info.mtimeNs.toString() },
    isFile: info.isFile(),
    isDirectory: info.isDirectory(),
  };
}

async function hashRegularFile(path: string, stamp: FileStamp, cache?: HashLookup): Promise<string> {
  const cached = cache?.get(path, stamp);
  if (cached) return cached;
  const digest = await sha256File(path);
  cache?.set(path, stamp, digest);
  return digest;
}

/** Hashes a file or a folder (see the module comment for the folder algorithm). */
export async function hashPath(path: string, cache?: HashLookup): Promise<PathHash> {
  const top = await stampOf(path);
  if (top.isFile) {
    return { sha256: await hashRegularFile(path, top.stamp, cache), size: top.stamp.size, kind: 'file', files: 1 };
  }
  if (!top.isDirectory) throw new Error(`${path} is neither a file nor a folder`);
  const files = await listFolderFiles(path);
  const hash = createHash('sha256');
  let size = 0;
  for (const file of files) {
    const digest = await hashRegularFile(file.absolute, file.stamp, cache);
    hash.update(Buffer.from(file.relative, 'utf8'));
    hash.update(`\0${digest}\n`);
    size += file.stamp.size;
  }
  return { sha256: hash.digest('hex'), size, kind: 'folder', files: files.length };
}

interface FolderFile {
  absolute: string;
  relative: string;
  stamp: FileStamp;
}

async function listFolderFiles(root: string): Promise<FolderFile[]> {
  const found: FolderFile[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      const absolute = join(dir, entry.name);
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        await walk(absolute, relative);
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        let info;
        try {
          info = await stampOf(absolute);
        } catch {
          continue; // a dangling link holds no content
        }
        if (info.isFile) found.push({ absolute, relative, stamp: info.stamp });
      }
    }
  };
  await walk(root, '');
  return found.sort((a, b) => Buffer.compare(Buffer.from(a.relative, 'utf8'), Buffer.from(b.relative, 'utf8')));
}
