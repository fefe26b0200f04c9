/**
 * Writes plain data (objects, arrays, strings, numbers, booleans) as block-style YAML, the form
 * people read and edit in Kubernetes manifests. Strings are quoted whenever YAML could read them as
 * something else — including YAML 1.1 words such as `yes`/`on`, which Kubernetes and Podman still read
 * as booleans (general YAML 1.2 writers leave them bare) — so the output parses back to exactly the input.
 */
export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue | undefined };

const plainString = /^[A-Za-z_./][A-Za-z0-9_./:@-]*$/;
const yamlUnprintable = /[\u007f-\u009f\u2028\u2029\ufeff]/g;
const reservedWords = /^(?:true|false|yes|no|on|off|null|~|y|n)$/i;

function scalar(value: string | number | boolean | null): string {
  if (value === null) return 'null';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`YAML cannot hold the number ${value}`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (plainString.test(value) && !reservedWords.test(value) && !value.endsWith(':')) return value;
  // A JSON string is a YAML double-quoted one, except that JSON leaves raw what YAML reads as a line
  // break (U+0085, U+2028, U+2029) or refuses (DEL, C1 controls, a BOM): those are escaped too.
  return JSON.stringify(value).replace(yamlUnprintable, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function isScalar(value: YamlValue): value is string | number | boolean | null {
  return value === null || typeof value !== 'object';
}

function entries(value: { [key: string]: YamlValue | undefined }): [string, YamlValue][] {
  return Object.entries(value).filter((e): e is [string, YamlValue] => e[1] !== undefined);
}

function emit(value: YamlValue, indent: string, lines: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) {
      if (isScalar(item)) lines.push(`${indent}- ${scalar(item)}`);
      else if (isEmpty(item)) lines.push(`${indent}- ${Array.isArray(item) ? '[]' : '{}'}`);
      else {
        const nested: string[] = [];
        emit(item, `${indent}  `, nested);
        lines.push(`${indent}- ${nested[0]!.trimStart()}`, ...nested.slice(1));
      }
    }
    return;
  }
  if (isScalar(value)) {
    lines.push(`${indent}${scalar(value)}`);
    return;
  }
  for (const [key, item] of entries(value)) {
    const k = scalar(key);
    if (isScalar(item)) lines.push(`${indent}${k}: ${scalar(item)}`);
    else if (isEmpty(item)) lines.push(`${indent}${k}: ${Array.isArray(item) ? '[]' : '{}'}`);
    else {
      lines.push(`${indent}${k}:`);
      emit(item, Array.isArray(item) ? indent : `${indent}  `, lines);
    }
  }
}

function isEmpty(value: YamlValue): boolean {
  if (Array.isArray(value)) return value.length === 0;
  return value !== null && typeof value === 'object' && entries(value).length === 0;
}

export function toYaml(value: YamlValue): string {
  const lines: string[] = [];
  emit(value, '', lines);
  return `${lines.join('\n')}\n`;
}

/** Several Kubernetes objects in one file, separated by `---`. */
export function toYamlDocuments(documents: YamlValue[]): string {
  return documents.map(toYaml).join('---\n');
}
