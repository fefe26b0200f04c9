import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, renameSync, writeFileSync, writeSync, unlinkSync } from 'node:fs';
import { rename, writeFile, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Whole-file writes that a concurrent reader never sees half done: the content goes to a temporary
 * file in the same folder (same filesystem, so rename is atomic) and is then renamed over the target.
 */

function temporaryPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const temp = temporaryPath(path);
  try {
    await writeFile(temp, content);
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

/** The synchronous form, for exit handlers where no further event-loop turn is guaranteed. */
export function writeFileAtomicSync(path: string, content: string): void {
  const temp = temporaryPath(path);
  try {
    writeFileSync(temp, content);
    renameSync(temp, path);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
    throw error;
  }
}

export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

export function writeJsonAtomicSync(path: string, value: unknown): void {
  writeFileAtomicSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * For a full disk, where the temporary copy finds no room: rewrites an existing small file in the
 * blocks it already has, padding with spaces (JSON allows them) so no byte of the old content stays.
 * Not atomic; used only when the atomic write failed.
 */
export function overwriteJsonInPlaceSync(path: string, value: unknown): void {
  const fd = openSync(path, 'r+');
  try {
    const content = Buffer.from(`${JSON.stringify(value)}\n`);
    const size = fstatSync(fd).size;
    const bytes = content.length >= size ? content : Buffer.concat([content, Buffer.alloc(size - content.length, ' ')]);
    writeSync(fd, bytes, 0, bytes.length, 0);
  } finally {
    closeSync(fd);
  }
}
