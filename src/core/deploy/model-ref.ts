import { z } from 'zod';
import { DeployError } from './errors';

/** A model pinned by manifest digest in an OCI registry: `registry[:port]/repository@sha256:<hex>`. */
export interface ModelRef {
  registry: string;
  repository: string;
  digest: string;
}

const digestPattern = /^sha256:[0-9a-f]{64}$/;
const repositoryPattern = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

export const ModelRefStringSchema = z.string().refine((value) => tryParseModelRef(value) !== undefined, {
  message: 'expected registry/repository@sha256:<64 hex digits>',
});

function tryParseModelRef(value: string): ModelRef | undefined {
  const at = value.lastIndexOf('@');
  if (at < 0) return undefined;
  const name = value.slice(0, at);
  const digest = value.slice(at + 1);
  const slash = name.indexOf('/');
  if (slash <= 0 || !digestPattern.test(digest)) return undefined;
  const registry = name.slice(0, slash);
  const repository = name.slice(slash + 1);
  if (!repositoryPattern.test(repository)) return undefined;
  return { registry, repository, digest };
}

/** Parses a digest reference; a tag is refused because only a digest pins what gets served. */
export function parseModelRef(value: string): ModelRef {
  const ref = tryParseModelRef(value);
  if (!ref) {
    throw new DeployError(
      'invalid-request',
      `"${value}" is not a model reference pinned by digest (expected registry/repository@sha256:<digest>)`,
    );
  }
  return ref;
}

export function formatModelRef(ref: ModelRef): string {
  return `${ref.registry}/${ref.repository}@${ref.digest}`;
}

/** The short form users recognise in lists: the first 12 hex digits of the digest. */
export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}
