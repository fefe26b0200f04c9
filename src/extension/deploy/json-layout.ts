const scalar = String.raw`(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null|"[^"\n,\\]*")`;
const multiLineScalarArray = new RegExp(String.raw`\[\n\s*(${scalar}(?:,\n\s*${scalar})*)\n\s*\]`, 'g');

/**
 * JSON indented by two spaces, with arrays of plain values kept on one line: a tensor's 64
 * features read as one row, not 64 lines.
 */
export function formatTensorJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    multiLineScalarArray,
    (_match, items: string) => `[${items.split(/,\n\s*/).join(', ')}]`,
  );
}

/** Parses JSON that may hold whole-line `//` comments (the header of a request document). */
export function parseCommentedJson(text: string): unknown {
  const body = text
    .split('\n')
    .filter((line) => !/^\s*\/\//.test(line))
    .join('\n');
  return JSON.parse(body);
}
