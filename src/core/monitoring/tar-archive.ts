/**
 * Reads the regular files out of a tar archive, which is how both targets hand over a deployment's
 * prediction-log folder (Podman's archive API, `tar cf -` over SSH). ustar, with GNU long names,
 * pax `path` records and base-256 sizes, which covers what GNU tar and Podman write.
 */
export interface TarEntry {
  /** The path inside the archive, without a leading `./` or `/`. */
  name: string;
  data: Buffer;
}

const BLOCK = 512;

function text(block: Buffer, offset: number, length: number): string {
  const raw = block.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? raw.length : end).toString('utf8');
}

function size(block: Buffer): number {
  const field = block.subarray(124, 136);
  if (field[0]! & 0x80) {
    // GNU base-256: big-endian binary in the remaining bytes.
    let value = 0;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!;
    return value;
  }
  const octal = text(block, 124, 12).trim();
  return octal ? parseInt(octal, 8) : 0;
}

function paxPath(data: Buffer): string | undefined {
  // Records are "<length> <key>=<value>\n".
  for (const record of data.toString('utf8').split('\n')) {
    const match = /^\d+ path=(.*)$/.exec(record);
    if (match) return match[1];
  }
  return undefined;
}

function cleanName(name: string): string {
  return name.replace(/^(\.\/|\/)+/, '');
}

export function readTarEntries(archive: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let nextName: string | undefined;
  while (offset + BLOCK <= archive.length) {
    const header = archive.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    const length = size(header);
    const type = String.fromCharCode(header[156]!);
    const start = offset + BLOCK;
    const data = archive.subarray(start, start + length);
    offset = start + Math.ceil(length / BLOCK) * BLOCK;
    if (type === 'L') {
      nextName = text(data, 0, data.length);
      continue;
    }
    if (type === 'x') {
      nextName = paxPath(data) ?? nextName;
      continue;
    }
    const prefix = text(header, 345, 155);
    const name = nextName ?? (prefix ? `${prefix}/${text(header, 0, 100)}` : text(header, 0, 100));
    nextName = undefined;
    if (type === '0' || type === '\0') entries.push({ name: cleanName(name), data: Buffer.from(data) });
  }
  return entries;
}
