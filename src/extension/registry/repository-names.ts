import { toRepositoryName } from '../../core/registry/reference';

/** The tag a model version gets on the registry: `v3`, as the Models view names it. */
export function versionTag(version: number): string {
  return `v${version}`;
}

/** `<prefix>/<model name>`, the model name made repository-safe (lower case, allowed separators). */
export function defaultRepository(prefix: string, modelName: string): string {
  const name = toRepositoryName(modelName) || 'model';
  const cleanPrefix = prefix.replace(/^\/+|\/+$/g, '');
  return cleanPrefix ? `${cleanPrefix}/${name}` : name;
}
