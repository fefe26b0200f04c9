import { existsSync } from 'node:fs';
import { basename, extname, isAbsolute, join } from 'node:path';
import { hashPathCached } from '../hashing/hash-cache';
import { withFileLock } from '../queue/file-lock';
import type { ArtifactEvent } from '../runs/protocol';
import type { PushRecord as IndexedPushRecord } from '../store/models';
import { readEventsFrom, runsRoot } from '../runs/reader';
import { TRACKSIDE_DIR } from '../runs/protocol';
import { workspaceActor } from './actor';
import { ModelRegistryError } from './errors';
import {
  ALIAS_PATTERN,
  AUDIT_JOURNAL,
  JOURNAL_VERSION,
  MODEL_NAME_PATTERN,
  MODELS_JOURNAL,
  ModelEventSchema,
  appendJournalLine,
  journalPath,
  readJournalFrom,
  type AuditEntry,
  type ModelEvent,
  type ModelRegistered,
} from './journal';

export interface RegisterRequest {
  runId: string;
  /** The artifact's path as the run logged it (workspace-relative, or absolute outside the workspace). */
  artifactPath: string;
  /** Defaults to the name the run gave the model (`log_model(..., name=)`), else the file's stem. */
  name?: string;
}

export interface RegisteredVersion {
  name: string;
  version: number;
  runId: string;
  artifactPath: string;
  sha256: string | null;
  createdAt: string;
  actor: string;
  /** False when this exact artifact of this run was already registered under the name. */
  created: boolean;
}

/** What a push records: the index adds its reference, time and actor. */
export type PushRecord = Pick<IndexedPushRecord, 'name' | 'version' | 'registry' | 'repository' | 'tag' | 'digest'>;

/** The models journal folded into its current state. */
interface ModelState {
  versions: Map<string, ModelRegistered[]>;
  aliases: Map<string, Map<string, number>>;
}

/**
 * Local model versions: registering a run's model artifact under a name gives it the next version;
 * aliases (`champion`, `challenger`, any name) point at one version each and can be moved. Every
 * change is appended to `.trackside/models.jsonl` (the truth) and `.trackside/audit.jsonl`, then
 * applied to the index. Version numbers are assigned under a lock file, so two windows registering
 * at once never hand out the same number.
 */
export class ModelRegistry {
  private actor: Promise<string> | undefined;

  constructor(
    readonly workspaceRoot: string,
    private readonly options: {
      /** Called after each change is journaled (the workspace applies it to its index). */
      afterWrite?: () => void;
      actor?: () => Promise<string>;
    } = {},
  ) {
    if (options.actor) this.actor = options.actor();
  }

  private whoAmI(): Promise<string> {
    this.actor ??= workspaceActor(this.workspaceRoot);
    return this.actor;
  }

  async register(request: RegisterRequest): Promise<RegisteredVersion> {
    const artifact = await this.findModelArtifact(request.runId, request.artifactPath);
    const name = request.name?.trim() || defaultModelName(artifact);
    if (!MODEL_NAME_PATTERN.test(name)) {
      throw new ModelRegistryError(
        'invalid-name',
        `"${name}" is not a valid model name: use letters, digits, dots, dashes and underscores (up to 128)`,
      );
    }
    const sha256 = artifact.sha256 ?? (await this.hashNow(artifact.path));
    const actor = await this.whoAmI();
    const result = await this.locked(async (state) => {
      const existing = (state.versions.get(name) ?? []).find(
        (v) => v.runId === request.runId && v.artifactPath === artifact.path,
      );
      if (existing) return { event: existing, created: false };
      const version = Math.max(0, ...(state.versions.get(name) ?? []).map((v) => v.version)) + 1;
      const event: ModelRegistered = {
        v: JOURNAL_VERSION,
        type: 'registered',
        at: new Date().toISOString(),
        actor,
        name,
        version,
        runId: request.runId,
        artifactPath: artifact.path,
        sha256,
        size: artifact.size ?? null,
      };
      this.append(event, {
        action: 'model.register',
        subject: `${name}@${version}`,
        detail: { runId: request.runId, artifactPath: artifact.path, sha256 },
      });
      return { event, created: true };
    });
    this.sync();
    const e = result.event;
    return {
      name: e.name,
      version: e.version,
      runId: e.runId,
      artifactPath: e.artifactPath,
      sha256: e.sha256,
      createdAt: e.at,
      actor: e.actor,
      created: result.created,
    };
  }

  /** Points `alias` at `version` of `name`, moving it from the version it pointed at before. */
  async setAlias(name: string, alias: string, version: number): Promise<{ previous: number | null }> {
    if (!ALIAS_PATTERN.test(alias)) {
      throw new ModelRegistryError(
        'invalid-alias',
        `"${alias}" is not a valid alias: use letters, digits, dots, dashes and underscores, not a bare number`,
      );
    }
    const actor = await this.whoAmI();
    const previous = await this.locked(async (state) => {
      requireVersion(state, name, version);
      const before = state.aliases.get(name)?.get(alias) ?? null;
      if (before === version) return before;
      this.append(
        {
          v: JOURNAL_VERSION,
          type: 'alias-set',
          at: new Date().toISOString(),
          actor,
          name,
          alias,
          version,
          previous: before,
        },
        {
          action: 'model.alias.set',
          subject: `${name}@${alias}`,
          detail: { alias, version, previous: before },
        },
      );
      return before;
    });
    this.sync();
    return { previous };
  }

  async removeAlias(name: string, alias: string): Promise<{ previous: number }> {
    const actor = await this.whoAmI();
    const previous = await this.locked(async (state) => {
      const before = state.aliases.get(name)?.get(alias);
      if (before === undefined) {
        throw new ModelRegistryError('no-such-alias', `${name} has no alias "${alias}"`);
      }
      this.append(
        {
          v: JOURNAL_VERSION,
          type: 'alias-removed',
          at: new Date().toISOString(),
          actor,
          name,
          alias,
          previous: before,
        },
        { action: 'model.alias.remove', subject: `${name}@${alias}`, detail: { alias, previous: before } },
      );
      return before;
    });
    this.sync();
    return { previous };
  }

  /** Records that a model version was pushed to a registry (called by the push feature after a push). */
  async recordPush(push: PushRecord): Promise<void> {
    const actor = await this.whoAmI();
    await this.locked(async (state) => {
      requireVersion(state, push.name, push.version);
      this.append(
        { v: JOURNAL_VERSION, type: 'pushed', at: new Date().toISOString(), actor, ...push },
        {
          action: 'model.push',
          subject: `${push.name}@${push.version}`,
          detail: { registry: push.registry, repository: push.repository, tag: push.tag, digest: push.digest },
        },
      );
    });
    this.sync();
  }

  /** Appends any other audited action (a deployment, say) to the audit log. */
  async audit(action: string, subject: string, detail: Record<string, unknown> = {}): Promise<void> {
    const entry: AuditEntry = {
      v: JOURNAL_VERSION,
      at: new Date().toISOString(),
      actor: await this.whoAmI(),
      action,
      subject,
      detail,
    };
    appendJournalLine(journalPath(this.workspaceRoot, AUDIT_JOURNAL), entry);
    this.sync();
  }

  /** The models journal folded into versions and aliases, read fresh from the file. */
  readState(): ModelState {
    const { records } = readJournalFrom(journalPath(this.workspaceRoot, MODELS_JOURNAL), 0, ModelEventSchema);
    const state: ModelState = { versions: new Map(), aliases: new Map() };
    for (const event of records) foldEvent(state, event);
    return state;
  }

  private sync(): void {
    this.options.afterWrite?.();
  }

  private locked<T>(fn: (state: ModelState) => Promise<T>): Promise<T> {
    return withFileLock(join(this.workspaceRoot, TRACKSIDE_DIR, 'models.lock'), () => fn(this.readState()));
  }

  /** The model journal line first: an audit line without its event would claim a change that never happened. */
  private append(event: ModelEvent, audit: Pick<AuditEntry, 'action' | 'subject' | 'detail'>): void {
    appendJournalLine(journalPath(this.workspaceRoot, MODELS_JOURNAL), event);
    appendJournalLine(journalPath(this.workspaceRoot, AUDIT_JOURNAL), {
      v: JOURNAL_VERSION,
      at: event.at,
      actor: event.actor,
      ...audit,
    } satisfies AuditEntry);
  }

  private async findModelArtifact(runId: string, path: string): Promise<ArtifactEvent> {
    const runDir = join(runsRoot(this.workspaceRoot), runId);
    if (!existsSync(runDir)) throw new ModelRegistryError('no-such-run', `run ${runId} is not in this workspace`);
    const outputs = await runOutputArtifacts(runDir);
    const found = outputs.get(path);
    if (!found) {
      const known = [...outputs.keys()];
      throw new ModelRegistryError(
        'no-such-artifact',
        `run ${runId} logged no output ${path}` +
          (known.length ? ` (its outputs: ${known.join(', ')})` : ' — log it with ts.log_model(path)'),
      );
    }
    return found;
  }

  private async hashNow(path: string): Promise<string> {
    const absolute = isAbsolute(path) ? path : join(this.workspaceRoot, path);
    if (!existsSync(absolute)) {
      throw new ModelRegistryError('artifact-missing', `${path} no longer exists and the run recorded no hash of it`);
    }
    return (await hashPathCached(this.workspaceRoot, absolute)).sha256;
  }
}

/** A run's output artifacts by path, the last logged event for a path winning (as in the index). */
export async function runOutputArtifacts(runDir: string): Promise<Map<string, ArtifactEvent>> {
  const outputs = new Map<string, ArtifactEvent>();
  await readEventsFrom(runDir, 0, (chunk) => {
    for (const event of chunk.events) {
      if (event.type === 'artifact' && event.role === 'output') outputs.set(event.path, event);
    }
  });
  return outputs;
}

function defaultModelName(artifact: ArtifactEvent): string {
  if (artifact.name && MODEL_NAME_PATTERN.test(artifact.name)) return artifact.name;
  const file = basename(artifact.path);
  const stem = file.slice(0, file.length - extname(file).length) || file;
  const cleaned = stem.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return cleaned.slice(0, 128) || 'model';
}

function foldEvent(state: ModelState, event: ModelEvent): void {
  switch (event.type) {
    case 'registered': {
      const list = state.versions.get(event.name) ?? [];
      if (!list.some((v) => v.version === event.version)) list.push(event);
      state.versions.set(event.name, list);
      break;
    }
    case 'alias-set': {
      const aliases = state.aliases.get(event.name) ?? new Map<string, number>();
      aliases.set(event.alias, event.version);
      state.aliases.set(event.name, aliases);
      break;
    }
    case 'alias-removed':
      state.aliases.get(event.name)?.delete(event.alias);
      break;
    case 'pushed':
      break;
  }
}

function requireVersion(state: ModelState, name: string, version: number): void {
  const versions = state.versions.get(name);
  if (!versions) throw new ModelRegistryError('no-such-model', `no model named "${name}" is registered`);
  if (!versions.some((v) => v.version === version)) {
    throw new ModelRegistryError('no-such-version', `${name} has no version ${version}`);
  }
}

/**
 * The file (or folder) of a registered version, checked against the sha256 recorded when it was
 * registered: a push sends what was registered, never what happens to be at the path now (a file
 * retrained in place, or a record that names some other file).
 */
export async function verifiedVersionFile(
  workspaceRoot: string,
  version: { name: string; version: number; artifactPath: string; sha256: string | null },
): Promise<string> {
  const label = `${version.name} v${version.version}`;
  const absolute = isAbsolute(version.artifactPath) ? version.artifactPath : join(workspaceRoot, version.artifactPath);
  if (!version.sha256) {
    throw new ModelRegistryError(
      'artifact-changed',
      `${label} was registered without a sha256, so what is at ${version.artifactPath} cannot be checked: register the file again as a new version`,
    );
  }
  if (!existsSync(absolute)) {
    throw new ModelRegistryError(
      'artifact-missing',
      `${label}: ${version.artifactPath} no longer exists; restore it (sha256 ${version.sha256.slice(0, 12)}…) or register a new version`,
    );
  }
  const now = (await hashPathCached(workspaceRoot, absolute)).sha256;
  if (now !== version.sha256) {
    throw new ModelRegistryError(
      'artifact-changed',
      `${label}: ${version.artifactPath} changed since it was registered (sha256 ${version.sha256.slice(0, 12)}… then, ` +
        `${now.slice(0, 12)}… now); register the new file as a new version, or restore the registered one`,
    );
  }
  return absolute;
}
