import { join } from 'node:path';
import * as vscode from 'vscode';
import { verifiedVersionFile, type ModelRegistry } from '../../core/models/model-registry';
import type { ModelVersionRow } from '../../core/store/models';
import type { RegistrySetting } from '../../core/registry/endpoint';
import { RegistryError } from '../../core/registry/errors';
import type { ModelPackInput } from '../../core/registry/pack';
import { pushModel, type PushResult } from '../../core/registry/push';
import { isValidRepository, toTag } from '../../core/registry/reference';
import { readRunModelMetadata, type RunModelMetadata } from '../../core/registry/run-metadata';
import { runsRoot } from '../../core/runs/reader';
import type { RegistryCredentialSession } from './credential-session';
import { pushReference } from '../../core/store/models';
import { PushProgressText } from './push-progress-text';
import { showRegistryError } from './registry-errors';
import { registryHost, RegistrySettingError, toEndpoint } from './registry-settings';
import { defaultRepository, versionTag } from './repository-names';

/**
 * "Push…" on a model version: the registry, the repository and the tags are asked, then the push
 * runs in a cancellable notification with bytes and speed; the result is recorded on the version
 * (lineage, audit log, Models view) and offered as a reference to copy.
 */

export interface PushDeps {
  workspaceRoot: string;
  log: vscode.LogOutputChannel;
  modelRegistry(): Promise<ModelRegistry>;
  credentials(): RegistryCredentialSession;
}

export interface PushPlan {
  row: ModelVersionRow;
  registry: RegistrySetting;
  repository: string;
  tags: string[];
}

const VERSION_TAG_DESCRIPTION = 'the version';

/** Asks the repository and the tags for a push of `row` to `registry`; undefined when the user cancelled. */
export async function askPushPlan(row: ModelVersionRow, registry: RegistrySetting): Promise<PushPlan | undefined> {
  const title = `Push ${row.name} v${row.version} to ${registry.name}`;
  const repository = await vscode.window.showInputBox({
    title,
    prompt: `Repository on ${registry.url}`,
    value: defaultRepository(registry.repositoryPrefix, row.name),
    ignoreFocusOut: true,
    validateInput: (value) =>
      isValidRepository(value.trim())
        ? undefined
        : 'Lower-case letters, digits and . _ - separators, with / between path parts',
  });
  if (repository === undefined) return undefined;
  const tags = await askTags(row, title);
  if (tags === undefined) return undefined;
  return { row, registry, repository: repository.trim(), tags };
}

/** The version's tag, plus its aliases when the user ticks them; with no alias there is nothing to ask. */
async function askTags(row: ModelVersionRow, title: string): Promise<string[] | undefined> {
  const version = versionTag(row.version);
  if (row.aliases.length === 0) return [version];
  const items: (vscode.QuickPickItem & { tag: string })[] = [
    { label: version, description: VERSION_TAG_DESCRIPTION, picked: true, tag: version },
    ...row.aliases.map((alias) => ({
      label: toTag(alias),
      description: `alias ${alias}: moves to this push`,
      picked: false,
      tag: toTag(alias),
    })),
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title,
    placeHolder: 'Tags to set on the registry (none: the manifest is pushed by digest only)',
    canPickMany: true,
    ignoreFocusOut: true,
  });
  return picked?.map((p) => p.tag);
}

/** Runs the push with its notification; on a registry error, shows it once and offers its fix. */
export async function runPush(deps: PushDeps, plan: PushPlan): Promise<void> {
  for (;;) {
    const session = deps.credentials();
    try {
      const result = await pushWithProgress(deps, plan, session);
      await session.saveAccepted();
      await recordPush(deps, plan, result);
      await showResult(plan, result);
      return;
    } catch (error) {
      if (!(error instanceof RegistryError) && !(error instanceof RegistrySettingError)) throw error;
      deps.log.warn(`Push of ${plan.row.name} v${plan.row.version} to ${plan.registry.name} failed: ${error.message}`);
      session.logDockerNotes();
      const choice = await showRegistryError(`Push of ${plan.row.name} v${plan.row.version} failed`, error);
      if (choice === 'Retry') continue;
      if (choice !== 'Re-enter Credentials') return;
      // Stored credentials were refused (or asking was cancelled): forget them, so the retry asks.
      await session.forget(registryHost(plan.registry));
    }
  }
}

async function pushWithProgress(
  deps: PushDeps,
  plan: PushPlan,
  session: RegistryCredentialSession,
): Promise<PushResult> {
  const { row, registry } = plan;
  const endpoint = await toEndpoint(registry, deps.workspaceRoot);
  const input = await modelInput(deps, row);
  return vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Pushing ${row.name} v${row.version} to ${registry.name}`,
      cancellable: true,
    },
    async (progress, token) => {
      const abort = new AbortController();
      const cancel = token.onCancellationRequested(() => abort.abort());
      const text = new PushProgressText();
      let lastReport = 0;
      let lastPhase = '';
      try {
        return await pushModel(
          input,
          { endpoint, repository: plan.repository, tags: plan.tags },
          {
            credentials: session.provider,
            signal: abort.signal,
            workspaceRoot: deps.workspaceRoot,
            onProgress: (p) => {
              // A notification redrawn on every chunk costs more than it tells: a few updates a second.
              const now = Date.now();
              const complete = p.bytesDone >= p.bytesTotal;
              if (p.phase === lastPhase && now - lastReport < 250 && !complete) return;
              lastPhase = p.phase;
              lastReport = now;
              progress.report(text.step(p));
            },
          },
        );
      } finally {
        cancel.dispose();
      }
    },
  );
}

/** The version's artifact with what its run folder tells (params, metrics, commit, data hashes). */
async function modelInput(deps: PushDeps, row: ModelVersionRow): Promise<ModelPackInput> {
  const path = await verifiedVersionFile(deps.workspaceRoot, row);
  let metadata: Partial<RunModelMetadata> = {};
  try {
    metadata = await readRunModelMetadata(join(runsRoot(deps.workspaceRoot), row.runId));
  } catch (error) {
    // The run folder may have been deleted since the model was registered: the model still pushes.
    deps.log.warn(`Run ${row.runId} could not be read for the model card: ${(error as Error).message}`);
  }
  return { ...metadata, path, name: row.name, version: String(row.version) };
}

async function recordPush(deps: PushDeps, plan: PushPlan, result: PushResult): Promise<void> {
  const registry = await deps.modelRegistry();
  const tags = result.tags.length > 0 ? result.tags : [null];
  for (const tag of tags) {
    await registry.recordPush({
      name: plan.row.name,
      version: plan.row.version,
      registry: result.registry,
      repository: result.repository,
      tag,
      digest: result.digest,
    });
  }
  const sent = result.blobs.filter((b) => b.outcome !== 'exists' && b.outcome !== 'mounted').length;
  deps.log.info(
    `Pushed ${plan.row.name} v${plan.row.version} to ${result.reference} (tags: ${result.tags.join(', ') || 'none'}; ` +
      `${sent} of ${result.blobs.length} blobs uploaded, ${result.bytesSent} bytes sent)`,
  );
}

async function showResult(plan: PushPlan, result: PushResult): Promise<void> {
  const where = `${result.registry}/${result.repository}${result.tags[0] ? `:${result.tags[0]}` : ''}`;
  const skipped = result.blobs.every((b) => b.outcome === 'exists' || b.outcome === 'mounted');
  const choice = await vscode.window.showInformationMessage(
    `Pushed ${plan.row.name} v${plan.row.version} to ${where} — digest ${result.digest}` +
      (skipped ? ' (the registry had every file already)' : ''),
    'Copy Reference',
  );
  if (choice === 'Copy Reference') await copyReference(pushReference(result));
}

export async function copyReference(reference: string): Promise<void> {
  await vscode.env.clipboard.writeText(reference);
  vscode.window.setStatusBarMessage(`Copied ${reference}`, 4000);
}
