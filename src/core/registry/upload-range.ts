/**
 * The byte ranges of a chunked blob upload. The registry reports what it holds as `Range: 0-<last
 * byte>` (inclusive); some put a `bytes=` in front. An empty upload is reported as `0-0` by the CNCF
 * distribution registry, the same as a one-byte upload: we read it as empty, and a PATCH that then
 * starts at the wrong offset is refused with 416, which the uploader answers by starting over.
 */

/** Bytes the registry holds for an upload, from its `Range` header; null when absent or malformed. */
export function uploadedBytes(rangeHeader: string | null | undefined): number | null {
  if (!rangeHeader) return null;
  const match = /^\s*(?:bytes[=\s])?\s*(\d+)-(\d+)\s*$/i.exec(rangeHeader);
  if (!match) return null;
  const start = Number(match[1]);
  const end = Number(match[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start !== 0 || end < start) return null;
  return end === 0 ? 0 : end + 1;
}

/** The `Content-Range` of a PATCH that sends bytes [start, endExclusive). */
export function contentRange(start: number, endExclusive: number): string {
  if (!(endExclusive > start) || start < 0) throw new RangeError(`empty or negative range ${start}-${endExclusive}`);
  return `${start}-${endExclusive - 1}`;
}

/** Splits [offset, size) into chunks of at most `chunkSize` bytes: the PATCH requests of an upload. */
export function chunkRanges(offset: number, size: number, chunkSize: number): { start: number; end: number }[] {
  if (chunkSize <= 0) throw new RangeError('chunk size must be positive');
  const ranges: { start: number; end: number }[] = [];
  for (let start = offset; start < size; start += chunkSize)
    ranges.push({ start, end: Math.min(size, start + chunkSize) });
  return ranges;
}
