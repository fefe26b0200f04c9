import { z } from 'zod';
import { uploadBlob } from './blob-upload';
import { OCI_INDEX, OCI_MANIFEST, sha256Digest, type OciRegistryClient } from './client';
import { RegistryNotFoundError, RegistryProtocolError } from './errors';
import { ImageIndexSchema, ImageManifestSchema, type ImageIndex } from './manifest-schema';
import { OCI_CREATED, type Descriptor } from './modelpack';
import { readBlobBytes } from './pull';
import { referrersTag } from './reference';
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from './retry';
import { MemoryUploadStates } from './upload-state';

/**
 * Artifacts that refer to a model (evaluation results) through the OCI 1.1 `subject` field. Where
 * the registry has the referrers API it indexes them itself; elsewhere (CNCF distribution 2.8,
 * many hosted registries) the spec's fallback applies: an OCI index kept under the tag
 * `sha256-<hex>` of the subject, which the client reads, extends and writes back.
 */

export const EVALUATION_ARTIFACT_TYPE = 'application/vnd.trackside.evaluation.v1+json';
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';
const EMPTY_JSON = Buffer.from('{}', 'utf8');
export const TRACKSIDE_EVALUATION_METRICS = 'dev.trackside.evaluation.metrics';
export const TRACKSIDE_EVALUATION_DATASET = 'dev.trackside.evaluation.dataset';

export const EvaluationResultSchema = z.object({
  createdAt: z.string(),
  /** The run that evaluated the model, if tracked. */
  runId: z.string().optional(),
  dataset: z.object({ path: z.string(), sha256: z.string().optional() }).optional(),
  metrics: z.record(z.string(), z.number()),
  notes: z.string().optional(),
});
export type EvaluationResult = z.infer<typeof EvaluationResultSchema>;

export interface AttachResult {
  digest: string;
  /** True when the `sha256-<hex>` index was written because the registry has no referrers API. */
  usedTagFallback: boolean;
}

/** Pushes an evaluation result as an artifact whose subject is the model manifest. */
export async function attachEvaluation(
  client: OciRegistryClient,
  repository: string,
  subject: Descriptor,
  evaluation: EvaluationResult,
  options: { signal?: AbortSignal; retry?: RetryPolicy } = {},
): Promise<AttachResult> {
  const signal = options.signal;
  const retry = options.retry ?? DEFAULT_RETRY;
  const result = Buffer.from(JSON.stringify(EvaluationResultSchema.parse(evaluation)), 'utf8');
  const uploads = {
    states: new MemoryUploadStates(),
    retry,
    chunkSize: 1 << 26,
    monolithicMax: 1 << 26,
    mountFrom: [],
    signal,
  };
  await uploadBlob(
    client,
    repository,
    { digest: sha256Digest(EMPTY_JSON), size: EMPTY_JSON.length, source: { bytes: EMPTY_JSON } },
    uploads,
  );
  await uploadBlob(
    client,
    repository,
    { digest: sha256Digest(result), size: result.length, source: { bytes: result } },
    uploads,
  );

  const annotations: Record<string, string> = {
    [OCI_CREATED]: evaluation.createdAt,
    [TRACKSIDE_EVALUATION_METRICS]: JSON.stringify(evaluation.metrics),
  };
  if (evaluation.dataset)
    annotations[TRACKSIDE_EVALUATION_DATASET] = evaluation.dataset.sha256 ?? evaluation.dataset.path;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: EVALUATION_ARTIFACT_TYPE,
      config: { mediaType: OCI_EMPTY, digest: sha256Digest(EMPTY_JSON), size: EMPTY_JSON.length },
      layers: [{ mediaType: EVALUATION_ARTIFACT_TYPE, digest: sha256Digest(result), size: result.length }],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      annotations,
    }),
    'utf8',
  );
  const digest = sha256Digest(manifest);
  const put = await withRetry(retry, signal, () =>
    client.putManifest(repository, digest, manifest, OCI_MANIFEST, signal),
  );
  if (put.subjectProcessed) return { digest, usedTagFallback: false };
  if ((await client.referrersIndex(repository, subject.digest, signal)) !== null)
    return { digest, usedTagFallback: false };

  const descriptor: Descriptor = {
    mediaType: OCI_MANIFEST,
    digest,
    size: manifest.length,
    artifactType: EVALUATION_ARTIFACT_TYPE,
    annotations,
  };
  const tag = referrersTag(subject.digest);
  const index = (await readFallbackIndex(client, repository, tag, signal)) ?? {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [],
  };
  const manifests = [...index.manifests.filter((m) => m.digest !== digest), descriptor];
  const updated = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }), 'utf8');
  await withRetry(retry, signal, () => client.putManifest(repository, tag, updated, OCI_INDEX, signal));
  return { digest, usedTagFallback: true };
}

async function readFallbackIndex(
  client: OciRegistryClient,
  repository: string,
  tag: string,
  signal?: AbortSignal,
): Promise<ImageIndex | null> {
  try {
    const { bytes } = await client.getManifest(repository, tag, signal);
    const parsed = ImageIndexSchema.safeParse(JSON.parse(bytes.toString('utf8')));
    if (!parsed.success) throw new RegistryProtocolError(client.host, `tag ${tag} does not hold an OCI index`, 200);
    return parsed.data;
  } catch (error) {
    if (error instanceof RegistryNotFoundError) return null;
    throw error;
  }
}

/** Artifacts referring to a manifest, from the referrers API or else the tag fallback. */
export async function listReferrers(
  client: OciRegistryClient,
  repository: string,
  subjectDigest: string,
  artifactType?: string,
  signal?: AbortSignal,
): Promise<Descriptor[]> {
  const api = await client.referrersIndex(repository, subjectDigest, signal);
  const index = api
    ? ImageIndexSchema.parse(JSON.parse(api.toString('utf8')))
    : await readFallbackIndex(client, repository, referrersTag(subjectDigest), signal);
  const all = index?.manifests ?? [];
  return artifactType ? all.filter((m) => m.artifactType === artifactType) : all;
}

/** Reads an evaluation result back from its artifact. */
export async function readEvaluation(
  client: OciRegistryClient,
  repository: string,
  digest: string,
  signal?: AbortSignal,
): Promise<EvaluationResult> {
  const { bytes } = await client.getManifest(repository, digest, signal);
  const manifest = ImageManifestSchema.parse(JSON.parse(bytes.toString('utf8')));
  const layer = manifest.layers.find((l) => l.mediaType === EVALUATION_ARTIFACT_TYPE);
  if (manifest.artifactType !== EVALUATION_ARTIFACT_TYPE || !layer) {
    throw new RegistryProtocolError(client.host, `${digest} is not an evaluation result`, 200);
  }
  return EvaluationResultSchema.parse(
    JSON.parse((await readBlobBytes(client, repository, layer.digest, signal)).toString('utf8')),
  );
}
