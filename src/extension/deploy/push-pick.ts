import * as vscode from 'vscode';
import { z } from 'zod';
import { shortDigest } from '../../core/deploy/model-ref';
import type { IndexStore } from '../../core/store/database';
import { listPushes } from '../../core/store/models';

/** A model version as pushed to a registry: what "Deploy…" serves. */
export const PushedVersionSchema = z.object({
  name: z.string().min(1),
  version: z.number().int().positive(),
  registry: z.string().min(1),
  repository: z.string().min(1),
  tag: z.string().nullable().optional(),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
});
export type PushedVersion = z.infer<typeof PushedVersionSchema> & { reference: string };

function withReference(push: z.infer<typeof PushedVersionSchema>): PushedVersion {
  return { ...push, reference: `${push.registry}/${push.repository}@${push.digest}` };
}

/**
 * The push a command was invoked on: a Models view push node carries it as `node.push`; other
 * callers (a notification button, another command) may pass the push itself.
 */
export function pushFromArguments(args: readonly unknown[]): PushedVersion | undefined {
  for (const value of args) {
    if (!value || typeof value !== 'object') continue;
    const candidate = 'push' in value ? value.push : value;
    const parsed = PushedVersionSchema.safeParse(candidate);
    if (parsed.success) return withReference(parsed.data);
  }
  return undefined;
}

/** Every recorded push, newest first (the index's model_pushes table, filled from the models journal). */
export function recordedPushes(store: IndexStore): (PushedVersion & { pushedAt: string })[] {
  return [...listPushes(store).values()]
    .flat()
    .sort((a, b) => b.pushedAt.localeCompare(a.pushedAt))
    .flatMap((row) => {
      const parsed = PushedVersionSchema.safeParse(row);
      return parsed.success ? [{ ...withReference(parsed.data), pushedAt: row.pushedAt }] : [];
    });
}

/** A quick pick of the recorded pushes; undefined when the user dismisses it. */
export async function pickPush(
  pushes: readonly (PushedVersion & { pushedAt: string })[],
  aliasesOf: (name: string, version: number) => string[],
): Promise<PushedVersion | undefined> {
  const pick = await vscode.window.showQuickPick(
    pushes.map((push) => ({
      push,
      label: `${push.name} v${push.version}`,
      description: [...aliasesOf(push.name, push.version), `@${shortDigest(push.digest)}`].join(' · '),
      detail: `${push.registry}/${push.repository}${push.tag ? `:${push.tag}` : ''} · pushed ${new Date(push.pushedAt).toLocaleString()}`,
    })),
    {
      title: 'Deploy: pick a pushed model version',
      placeHolder: 'Which pushed version should serve?',
      matchOnDetail: true,
    },
  );
  return pick?.push;
}
