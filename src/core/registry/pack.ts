import type { BigIntStats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { sha256File, type HashLookup } from '../hashing/file-hash';
import { ParamValueSchema } from '../runs/protocol';
import type { BlobSource } from './blob-upload';
import { sha256Digest } from './client';
import { ModelInputError, PushCancelledError } from './errors';
import { renderModelCard } from './model-card';
import {
  ANNOTATION_FILEPATH,
  MODELPACK_CONFIG,
  MODELPACK_DOC_RAW,
  OCI_TITLE,
  buildManifest,
  buildModelConfig,
  layerMediaType,
  manifestAnnotations,
  type Descriptor,
  type ModelMetadata,
} from './modelpack';

/**
 * What a push takes: a model as files on disk (one file or a folder) and what is known about how it
 * was made. The model-version store and `trackside push --run` fill it from a run folder.
 */
export const ModelPackInputSchema = z.object({
  /** A model file, or a folder whose files (recursively) make up the model. */
  path: z.string().min(1),
  name: z.string().min(1),
  version: z.string().min(1),
  /** RFC 3339; defaults to the newest modification time of the model files (stable across re-pushes). */
  createdAt: z.string().optional(),
  description: z.string().optional(),
  runId: z.string().optional(),
  gitCommit: z.string().optional(),
  gitDirty: z.boolean().optional(),
  sourceUrl: z.string().optional(),
  format: z.string().optional(),
  authors: z.array(z.string()).optional(),
  licenses: z.array(z.string()).optional(),
  params: z.record(z.string(), ParamValueSchema).default({}),
  metrics: z.record(z.string(), z.number()).default({}),
  dataInputs: z
    .array(
      z.object({
        path: z.string(),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
        size: z.number().int().nonnegative().optional(),
      }),
    )
    .default([]),
});
export type ModelPackInput = z.input<typeof ModelPackInputSchema>;

export interface PackedBlob {
  descriptor: Descriptor;
  source: BlobSource;
}

export interface PackedModel {
  metadata: ModelMetadata;
  config: PackedBlob;
  /** Model files in path order, then the model card. */
  layers: PackedBlob[];
  manifest: Buffer;
  manifestDigest: string;
  totalBytes: number;
}

export const MODEL_CARD_NAME = 'MODEL_CARD.md';

interface ModelFile {
  absolute: string;
  relative: string;
  size: number;
  mtimeMs: number;
  stamp: { size: number; mtimeNs: string };
}

/** Files of a model path, sorted by their UTF-8 path (the order of the layers). */
export async function listModelFiles(path: string): Promise<ModelFile[]> {
  let top;
  try {
    top = await stat(path, { bigint: true });
  } catch {
    throw new ModelInputError(`model path ${path} does not exist`, 'give the path of a model file or folder');
  }
  const toFile = (absolute: string, relative: string, info: BigIntStats): ModelFile => ({
    absolute,
    relative,
    size: Number(info.size),
    mtimeMs: Number(info.mtimeNs / 1_000_000n),
    stamp: { size: Number(info.size), mtimeNs: info.mtimeNs.toString() },
  });
  if (top.isFile()) return [toFile(path, basename(path), top)];
  if (!top.isDirectory())
    throw new ModelInputError(`${path} is neither a file nor a folder`, 'give a model file or folder');
  const found: ModelFile[] = [];
  const walk = async (dir: string, prefix: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const absolute = join(dir, entry.name);
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(absolute, relative);
      else if (entry.isFile() || entry.isSymbolicLink()) {
        const info = await stat(absolute, { bigint: true }).catch(() => null);
        if (info?.isFile()) found.push(toFile(absolute, relative, info));
      }
    }
  };
  await walk(path, '');
  if (found.length === 0)
    throw new ModelInputError(`model folder ${path} holds no files`, 'save the model into it first');
  return found.sort((a, b) => Buffer.compare(Buffer.from(a.relative, 'utf8'), Buffer.from(b.relative, 'utf8')));
}

export interface PackOptions {
  /** Digests of files already hashed (the workspace hash cache), so an unchanged model is not re-read. */
  hashes?: HashLookup;
  signal?: AbortSignal;
  /** Called after each file is hashed: bytes hashed so far and in all. */
  onHashed?: (done: number, total: number) => void;
}

/**
 * Hashes the model files (streaming, one pass each, or from the cache) and builds the config,
 * model card and manifest. Nothing is uploaded and no file is held in memory.
 */
export async function packModel(raw: ModelPackInput, options: PackOptions = {}): Promise<PackedModel> {
  const input = parseModelPackInput(raw);
  const files = await listModelFiles(input.path);
  const total = files.reduce((sum, f) => sum + f.size, 0);
  let done = 0;
  const fileLayers: PackedBlob[] = [];
  for (const file of files) {
    if (options.signal?.aborted) throw new PushCancelledError();
    let hex = options.hashes?.get(file.absolute, file.stamp);
    if (!hex) {
      hex = await sha256File(file.absolute);
      options.hashes?.set(file.absolute, file.stamp, hex);
    }
    done += file.size;
    options.onHashed?.(done, total);
    fileLayers.push({
      descriptor: {
        mediaType: layerMediaType(file.relative),
        digest: `sha256:${hex}`,
        size: file.size,
        annotations: { [ANNOTATION_FILEPATH]: file.relative, [OCI_TITLE]: file.relative },
      },
      source: { path: file.absolute },
    });
  }

  const createdAt = input.createdAt ?? new Date(Math.max(...files.map((f) => f.mtimeMs))).toISOString();
  const metadata: ModelMetadata = { ...input, createdAt };
  const cardName = uniqueName(MODEL_CARD_NAME, new Set(files.map((f) => f.relative)));
  const card = Buffer.from(
    renderModelCard(
      metadata,
      fileLayers.map((l) => ({
        path: l.descriptor.annotations![ANNOTATION_FILEPATH]!,
        size: l.descriptor.size,
        digest: l.descriptor.digest,
      })),
    ),
    'utf8',
  );
  const cardLayer: PackedBlob = {
    descriptor: {
      mediaType: MODELPACK_DOC_RAW,
      digest: sha256Digest(card),
      size: card.length,
      annotations: { [ANNOTATION_FILEPATH]: cardName, [OCI_TITLE]: cardName },
    },
    source: { bytes: card },
  };
  const layers = [...fileLayers, cardLayer];
  const configBytes = buildModelConfig(
    metadata,
    layers.map((l) => l.descriptor),
  );
  const config: PackedBlob = {
    descriptor: { mediaType: MODELPACK_CONFIG, digest: sha256Digest(configBytes), size: configBytes.length },
    source: { bytes: configBytes },
  };
  const manifest = buildManifest(
    config.descriptor,
    layers.map((l) => l.descriptor),
    manifestAnnotations(metadata),
  );
  return {
    metadata,
    config,
    layers,
    manifest,
    manifestDigest: sha256Digest(manifest),
    totalBytes: total + card.length + configBytes.length,
  };
}

/** The validated model description, or a ModelInputError saying what to fix. */
export function parseModelPackInput(raw: ModelPackInput): z.output<typeof ModelPackInputSchema> {
  const parsed = ModelPackInputSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ModelInputError(
      `invalid model description: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`,
      'fix the model name, version and metadata',
    );
  }
  return parsed.data;
}

function uniqueName(name: string, taken: Set<string>): string {
  if (!taken.has(name)) return name;
  for (let i = 2; ; i++) {
    const candidate = name.replace(/\.md$/, `.${i}.md`);
    if (!taken.has(candidate)) return candidate;
  }
}
