import * as path from 'node:path';
import * as vscode from 'vscode';
import { z } from 'zod';
import type { ExperimentsNode } from '../sidebar/tree';
import type { QueueService } from './queue-service';
import { scriptTarget } from '../runs/script-target';
import { RefusedError } from '../refusal';

const CommandArgSchema = z.array(z.string().min(1)).min(1);

/**
 * The run ids a context action applies to: the clicked row (or ids passed by another command),
 * else the rows selected in the Experiments view.
 */
export function runIdsFrom(args: readonly unknown[], view: vscode.TreeView<ExperimentsNode>): string[] {
  const ids = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') ids.add(value);
    else if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object' && (value as ExperimentsNode).kind === 'run')
      ids.add((value as ExperimentsNode & { kind: 'run' }).runId);
  };
  args.forEach(visit);
  if (ids.size === 0) view.selection.forEach(visit);
  if (ids.size === 0) throw new RefusedError('no-selection', 'Select a run in the Experiments view first.');
  return [...ids];
}

/** Queues the current file (or a command "Run with Parameters…" prepared) to start when a slot is free. */
export async function queueFile(queue: QueueService, target?: unknown, command?: unknown): Promise<string> {
  const script = await scriptTarget(target);
  const parsed = CommandArgSchema.safeParse(command);
  const id = await queue.enqueue({
    command: parsed.success ? parsed.data : script.command,
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
