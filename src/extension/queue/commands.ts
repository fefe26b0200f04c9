import * as path from 'node:path';
import * as vscode from 'vscode';
import { CommandArgs } from '../command-args';
import { RefusedError } from '../refusal';
import { scriptTarget } from '../runs/script-target';
import type { Settings } from '../settings';
import type { QueueService } from './queue-service';

/** Queues the current file (or a command "Run with Parameters…" prepared) to start when a slot is free. */
export async function queueFile(
  settings: Settings,
  queueOf: (folder: vscode.WorkspaceFolder) => QueueService,
  target?: unknown,
  command?: unknown,
): Promise<string> {
  const script = await scriptTarget(settings, target);
  const queue = queueOf(script.folder);
  const id = await queue.enqueue({
    command: CommandArgs.commandLine(command) ?? script.command,
    cwd: script.folder.uri.fsPath,
  });
  const snapshot = queue.snapshot();
  const ahead = snapshot ? snapshot.queued + snapshot.running : 0;
  vscode.window.setStatusBarMessage(
    `$(list-ordered) Queued ${path.basename(script.file.fsPath)}${ahead > 0 ? ` (${ahead} ahead)` : ''}`,
    4000,
  );
  return id;
}

/** Move Up / Move Down on queued runs: earlier or later among those still waiting. */
export async function moveQueuedRuns(queue: QueueService, runIds: readonly string[], delta: -1 | 1): Promise<void> {
  // Moving several runs down, the lowest goes first so they keep their order.
  const ordered = delta > 0 ? [...runIds].reverse() : runIds;
  let moved = 0;
  for (const id of ordered) if (await queue.move(id, delta)) moved++;
  if (moved === 0) throw new RefusedError('not-queued', 'That run is no longer waiting in the queue.');
}
