import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { RunFile } from '../runs/protocol';

/**
 * The last lines of a run's output.log, read from the end of the file so a multi-gigabyte log costs
 * one small read. Carriage-return progress bars are reduced to the text a terminal would show.
 */
export async function readOutputTail(
  runDir: string,
  maxLines = 200,
  maxBytes = 64 * 1024,
): Promise<{ lines: string[]; truncated: boolean }> {
  let handle;
  try {
    handle = await open(join(runDir, RunFile.output), 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { lines: [], truncated: false };
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - maxBytes);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    let text = buffer.toString('utf8');
    // A read that starts mid-file starts mid-line: drop that partial line.
    if (start > 0) text = text.slice(text.indexOf('\n') + 1);
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    const shown = lines.map((line) => {
      const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line;
      return trimmed.slice(trimmed.lastIndexOf('\r') + 1);
    });
    return { lines: shown.slice(-maxLines), truncated: start > 0 || shown.length > maxLines };
  } finally {
    await handle.close();
  }
}
