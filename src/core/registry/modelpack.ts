import { OCI_MANIFEST } from './client';

/**
 * The CNCF ModelPack format (modelpack/model-spec): an OCI image manifest whose artifactType marks
 * it as a model, a JSON config describing the model, and one raw (unarchived, uncompressed) layer
 * per file with its path in `org.cncf.model.filepath`. Pure functions: the same model metadata
 * always gives byte-identical JSON, so an unchanged model pushes no new blob.
 */

export const MODELPACK_ARTIFACT_TYPE = 'application/vnd.cncf.model.manifest.v1+json';
export const MODELPACK_CONFIG = 'application/vnd.cncf.model.config.v1+json';
export const MODELPACK_WEIGHT_RAW = 'application/vnd.cncf.model.weight.v1.raw';
export const MODELPACK_WEIGHT_CONFIG_RAW = 'application/vnd.cncf.model.weight.config.v1.raw';
export const MODELPACK_DOC_RAW = 'application/vnd.cncf.model.doc.v1.raw';
export const MODELPACK_CODE_RAW = 'application/vnd.cncf.model.code.v1.raw';

export const ANNOTATION_FILEPATH = 'org.cncf.model.filepath';
export const OCI_CREATED = 'org.opencontainers.image.created';
export const OCI_VERSION = 'org.opencontainers.image.version';
export const OCI_TITLE = 'org.opencontainers.image.title';
export const OCI_DESCRIPTION = 'org.opencontainers.image.description';
export const OCI_SOURCE = 'org.opencontainers.image.source';
export const OCI_REVISION = 'org.opencontainers.image.revision';

/** Trackside's own manifest annotations, namespaced under the project's reverse domain. */
export const TRACKSIDE_RUN_ID = 'dev.trackside.run.id';
export const TRACKSIDE_METRICS = 'dev.trackside.metrics';
export const TRACKSIDE_PARAMS = 'dev.trackside.params';
export const TRACKSIDE_INPUTS = 'dev.trackside.data.inputs';
export const TRACKSIDE_GIT_DIRTY = 'dev.trackside.git.dirty';

/** JSON annotations larger than this stay in the model card only: manifests must stay small. */
const MAX_JSON_ANNOTATION = 16 * 1024;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface ModelMetadata {
  name: string;
  version: string;
  createdAt: string;
  description?: string;
  runId?: string;
  gitCommit?: string;
  gitDirty?: boolean;
  sourceUrl?: string;
  format?: string;
  authors?: string[];
  licenses?: string[];
  params: Record<string, string | number | boolean | null>;
  metrics: Record<string, number>;
  dataInputs: { path: string; sha256: string; size?: number }[];
}

const CONFIG_FILES =
  /(^|\/)(config|generation_config|tokenizer(_config)?|special_tokens_map|preprocessor_config|vocab|merges)\.(json|txt|model)$|\.(json|ya?ml|toml|ini|cfg|conf|tiktoken|vocab|spm|jinja)$/i;
const DOC_FILES = /(^|\/)(readme|license|licence|notice|model_card|modelcard)(\.[a-z]+)?$|\.(md|markdown|rst)$/i;
const CODE_FILES = /\.(py|sh|js|ts|ipynb)$/i;

/** The layer media type of a model file: weights unless it is clearly config, docs or code. */
export function layerMediaType(relativePath: string): string {
  if (DOC_FILES.test(relativePath)) return MODELPACK_DOC_RAW;
  if (CODE_FILES.test(relativePath)) return MODELPACK_CODE_RAW;
  if (CONFIG_FILES.test(relativePath)) return MODELPACK_WEIGHT_CONFIG_RAW;
  return MODELPACK_WEIGHT_RAW;
}

const FORMATS: [RegExp, string][] = [
  [/\.(pt|pth)$/i, 'pytorch'],
  [/\.safetensors$/i, 'safetensors'],
  [/\.onnx$/i, 'onnx'],
  [/\.gguf$/i, 'gguf'],
  [/\.(h5|keras)$/i, 'keras'],
  [/\.(pb|tflite)$/i, 'tensorflow'],
  [/\.(joblib|pkl|pickle)$/i, 'pickle'],
];

/** The model format named by the weight files' extensions, when they all agree. */
export function inferFormat(weightPaths: readonly string[]): string | undefined {
  const found = new Set<string>();
  for (const path of weightPaths) {
    const format = FORMATS.find(([pattern]) => pattern.test(path))?.[1];
    if (format) found.add(format);
  }
  return found.size === 1 ? [...found][0] : undefined;
}

/** The `application/vnd.cncf.model.config.v1+json` document (descriptor, config, modelfs). */
export function buildModelConfig(meta: ModelMetadata, layers: readonly Descriptor[]): Buffer {
  const descriptor: Record<string, unknown> = { createdAt: meta.createdAt };
  if (meta.authors?.length) descriptor.authors = meta.authors;
  descriptor.name = meta.name;
  descriptor.version = meta.version;
  descriptor.title = `${meta.name} ${meta.version}`;
  if (meta.description) descriptor.description = meta.description;
  if (meta.sourceUrl) descriptor.sourceURL = meta.sourceUrl;
  if (meta.gitCommit) descriptor.revision = meta.gitCommit;
  if (meta.licenses?.length) descriptor.licenses = meta.licenses;
  const format =
    meta.format ??
    inferFormat(
      layers.filter((l) => l.mediaType === MODELPACK_WEIGHT_RAW).map((l) => l.annotations?.[ANNOTATION_FILEPATH] ?? ''),
    );
  const config = {
    descriptor,
    config: format ? { format } : {},
    // Raw layers are the uncompressed content itself, so each layer's DiffID is its digest.
    modelfs: { type: 'layers', diffIds: layers.map((l) => l.digest) },
  };
  return Buffer.from(JSON.stringify(config), 'utf8');
}

function jsonAnnotation(value: unknown): string | undefined {
  const text = JSON.stringify(value);
  return text.length <= MAX_JSON_ANNOTATION ? text : undefined;
}

export function manifestAnnotations(meta: ModelMetadata): Record<string, string> {
  const a: Record<string, string> = {
    [OCI_CREATED]: meta.createdAt,
    [OCI_TITLE]: meta.name,
    [OCI_VERSION]: meta.version,
  };
  if (meta.description) a[OCI_DESCRIPTION] = meta.description;
  if (meta.sourceUrl) a[OCI_SOURCE] = meta.sourceUrl;
  if (meta.gitCommit) a[OCI_REVISION] = meta.gitCommit;
  if (meta.gitDirty) a[TRACKSIDE_GIT_DIRTY] = 'true';
  if (meta.runId) a[TRACKSIDE_RUN_ID] = meta.runId;
  const metrics = Object.keys(meta.metrics).length ? jsonAnnotation(sortKeys(meta.metrics)) : undefined;
  if (metrics) a[TRACKSIDE_METRICS] = metrics;
  const params = Object.keys(meta.params).length ? jsonAnnotation(sortKeys(meta.params)) : undefined;
  if (params) a[TRACKSIDE_PARAMS] = params;
  const inputs = meta.dataInputs.length
    ? jsonAnnotation(meta.dataInputs.map((d) => ({ path: d.path, sha256: d.sha256 })))
    : undefined;
  if (inputs) a[TRACKSIDE_INPUTS] = inputs;
  return a;
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function buildManifest(
  config: Descriptor,
  layers: readonly Descriptor[],
  annotations: Record<string, string>,
): Buffer {
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: MODELPACK_ARTIFACT_TYPE,
    config,
    layers,
    annotations,
  };
  return Buffer.from(JSON.stringify(manifest), 'utf8');
}
