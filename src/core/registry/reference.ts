/**
 * Names in the OCI distribution spec: repositories, tags, and the tag under which the referrers
 * fallback keeps the index of artifacts that refer to a manifest.
 */

const REPOSITORY = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

export function isValidRepository(name: string): boolean {
  return name.length <= 255 && REPOSITORY.test(name);
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/**
 * A model name or version turned into a valid tag: `1.0+build 7` → `1.0_build_7`. Characters a tag
 * cannot hold become `_`; a leading `.` or `-` gets a `v` in front.
 */
export function toTag(text: string): string {
  let tag = text.replace(/[^a-zA-Z0-9._-]/g, '_').slice(0, 128);
  if (!/^[a-zA-Z0-9_]/.test(tag)) tag = `v${tag}`.slice(0, 128);
  return tag;
}

/** A repository path segment made from a free-form model name: lower case, allowed separators only. */
export function toRepositoryName(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9._/-]+/g, '-')
    .split('/')
    .map((part) => part.replace(/^[._-]+|[._-]+$/g, '').replace(/[._-]{2,}/g, '-'))
    .filter(Boolean)
    .join('/');
}

/** `sha256:<hex>` → `sha256-<hex>`: the referrers tag schema (OCI distribution spec 1.1). */
export function referrersTag(digest: string): string {
  const match = /^([a-z0-9]+):([a-f0-9]+)$/.exec(digest);
  if (!match) throw new RangeError(`not a digest: ${digest}`);
  return `${match[1]}-${match[2]}`.slice(0, 128);
}
