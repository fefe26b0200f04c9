import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { readAnnotations, writeAnnotations } from '../../core/compare/annotations';
import { removeReproductionWorktree, reproductionWorktree } from '../../core/reproduce/reproduce';
import { RunFile } from '../../core/runs/protocol';
import { readRunStatus } from '../../core/runs/reader';
import { stopLocalRun, StopRunError } from '../../core/runs/run-control';
import { deleteRunRows } from '../../core/store/run-rows';
import type { Folders } from '../workspace/folders';
import { RefusedError } from '../refusal';
import { hasControlCharacter } from '../../core/shell/quoting';

/** How long a run being deleted may take to stop when asked, before it is killed; and after. */
const STOP_GRACE_MS = 10_000;
const STOP_KILL_WAIT_MS = 5_000;

/** Context-menu actions on runs that act on the run folder (the truth) and then the index. */
export class RunActions {
  constructor(
    private readonly folders: Folders,
    /** Stops runs that are not local processes (Slurm jobs: scancel); false for a local run. */
    private readonly stopElsewhere?: (runId: string) => Promise<boolean>,
  ) {}

  /** The run's folder, in whichever workspace folder holds it. */
  runDir(runId: string): string {
    return this.folders.requireRun(runId).layout.runDir(runId);
  }

  async showOutput(runId: string): Promise<void> {
    const uri = vscode.Uri.file(join(this.runDir(runId), RunFile.output));
    try {
      await vscode.workspace.fs.stat(uri);
    } catch {
      throw new RefusedError(
        'missing-file',
        'This run has no output.log: it was started by an older client that did not keep its output.',
      );
    }
    const document = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(document, { preview: true });
    const last = document.lineCount - 1;
    editor.revealRange(new vscode.Range(last, 0, last, 0));
  }

  async stop(runId: string, force = false): Promise<void> {
    if (await this.stopElsewhere?.(runId)) return;
    try {
      await stopLocalRun(this.runDir(runId), force ? 'force' : 'graceful');
    } catch (error) {
      if (error instanceof StopRunError) throw new RefusedError(error.reason, `Cannot stop the run: ${error.message}.`);
      throw error;
    }
  }

  async rename(runId: string, currentName: string): Promise<void> {
    const name = await vscode.window.showInputBox({
      title: 'Rename Run',
      value: currentName,
      prompt: 'A name to find this run by; the run id stays the same.',
      validateInput: (v) => plainTextProblem('The name', v),
    });
    if (name === undefined || name.trim() === currentName) return;
    await this.editAnnotations(runId, (a) => ({ ...a, name: name.trim() }));
  }

  async tag(runId: string): Promise<void> {
    const input = await vscode.window.showInputBox({
      title: 'Tag Run',
      placeHolder: 'key=value, or just a key (e.g. baseline, dataset=v2)',
      validateInput: (v) =>
        /^\s*[^=\s][^=]*(=.*)?$/.test(v) ? plainTextProblem('A tag', v) : 'Write key=value or a key.',
    });
    if (!input) return;
    const [key = '', ...rest] = input.split('=');
    const value = rest.join('=').trim();
    await this.editAnnotations(runId, (a) => ({ ...a, tags: { ...a.tags, [key.trim()]: value } }));
  }

  async addNote(runId: string): Promise<void> {
    const current = await readAnnotations(this.runDir(runId));
    const note = await vscode.window.showInputBox({
      title: 'Add Note',
      value: current.note,
      prompt: 'What you learned from this run (shown in its tooltip and run view).',
    });
    if (note === undefined) return;
    await this.editAnnotations(runId, (a) => ({ ...a, note }));
  }

  async delete(runIds: string[], names: string[]): Promise<boolean> {
    const what = runIds.length === 1 ? `run "${names[0]}"` : `${runIds.length} runs`;
    const training = await this.training(runIds);
    const reproductions = runIds.filter((id) => existsSync(reproductionWorktree(this.folders.requireRun(id).root, id)));
    const checkouts =
      reproductions.length > 0 ? ', with the code checkout a reproduction trained in (.trackside/worktrees).' : '.';
    const stopsFirst =
      training.length === 0
        ? ''
        : training.length === runIds.length
          ? ` ${runIds.length === 1 ? 'It is still training: it' : 'They are still training: they'} will be stopped first.`
          : ` ${training.length} of them are still training: those will be stopped first.`;
    const choice = await vscode.window.showWarningMessage(
      `Delete ${what}? Its folder (metrics, output, patch) is removed from .trackside/runs${checkouts}${stopsFirst} This cannot be undone.`,
      { modal: true },
      'Delete',
    );
    if (choice !== 'Delete') return false;
    if (training.length > 0) {
      await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Trackside: stopping ${training.length === 1 ? 'the run' : `${training.length} runs`} before deleting…`,
        },
        async () => {
          for (const runId of training) await this.stopAndWait(runId);
        },
      );
    }
    for (const runId of runIds) {
      const folder = this.folders.requireRun(runId);
      await rm(this.runDir(runId), { recursive: true, force: true });
      await removeReproductionWorktree(folder.root, runId);
      deleteRunRows(await folder.store(), runId);
      // The rows are gone already: this tells the views at once, without waiting for the watcher.
      await folder.refreshRuns([runId]);
    }
    return true;
  }

  /** The runs that are still training (a local process or a Slurm job). */
  private async training(runIds: readonly string[]): Promise<string[]> {
    const statuses = await Promise.all(runIds.map((id) => readRunStatus(this.runDir(id)).catch(() => null)));
    return runIds.filter((_, i) => statuses[i]?.status === 'running' || statuses[i]?.status === 'pending');
  }

  /**
   * Stops a run before it is deleted, so no process goes on training for a run that no longer
   * exists: asked to stop first (a script may save a checkpoint), then killed if it has not ended.
   */
  private async stopAndWait(runId: string): Promise<void> {
    const ended = async (timeoutMs: number) => {
      for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
        const status = await readRunStatus(this.runDir(runId)).catch(() => null);
        if (status?.status !== 'running' && status?.status !== 'pending') return true;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      return false;
    };
    for (const force of [false, true]) {
      try {
        await this.stop(runId, force);
      } catch (error) {
        // It ended on its own meanwhile, or has no process here: nothing left to stop.
        if (error instanceof RefusedError) return;
        throw error;
      }
      if (await ended(force ? STOP_KILL_WAIT_MS : STOP_GRACE_MS)) return;
    }
  }

  private async editAnnotations(
    runId: string,
    edit: (current: Awaited<ReturnType<typeof readAnnotations>>) => Awaited<ReturnType<typeof readAnnotations>>,
  ): Promise<void> {
    const dir = this.runDir(runId);
    const next = edit(await readAnnotations(dir));
    await writeAnnotations(dir, next);
    await this.folders.requireRun(runId).refreshRuns([runId]);
  }
}

/** Why an input box's text cannot be a name or tag (one line of plain text), or undefined when it can. */
function plainTextProblem(what: string, value: string): string | undefined {
  if (!value.trim()) return `${what} cannot be empty.`;
  return hasControlCharacter(value) ? `${what} must be one line of plain text.` : undefined;
}
