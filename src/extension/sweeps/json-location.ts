/**
 * The 1-based line of a field in a JSON sweep file, found by walking its path key by key (each
 * key searched after the previous one); a missing field points at the object that lacks it.
 */
export function jsonLineOf(text: string, fieldPath: string): number {
  let offset = 0;
  if (fieldPath !== '(root)' && fieldPath !== '(file)') {
    for (const key of fieldPath.split('.')) {
      if (/^\d+$/.test(key)) continue;
      const found = text.indexOf(JSON.stringify(key), offset);
      if (found < 0) break;
      offset = found;
    }
  }
  return text.slice(0, offset).split('\n').length;
}
