import * as vscode from 'vscode';
import { CommandArgs } from '../command-args';
import { registerCommand } from '../command-registry';
import { pickRuns } from '../runs/run-picker';
import type { Services } from '../services';
import { CompareController } from './controller';
import { COMPARE_VIEW_TYPE } from './panel';
import { CompareSerializer } from './serializer';

export const COMPARE_RUNS_COMMAND = 'trackside.compareRuns';
export const OPEN_RUN_COMMAND = 'trackside.openRun';

/**
 * Registers "Compare Runs…" and "Open Run…" and the panel serializer. The returned controller lets
 * the Experiments view open the panel (`showRuns`, `openRun`) and follow its selection.
 */
export function registerCompareCommands(services: Services): {
  controller: CompareController;
  disposable: vscode.Disposable;
} {
  const controller = new CompareController(services);
  const disposable = vscode.Disposable.from(
    controller,
    registerCommand(COMPARE_RUNS_COMMAND, services.log, async (...args: unknown[]) => {
      const given = CommandArgs.runIds(args);
      const runIds =
        given.length > 0
          ? given
          : (await pickRuns(services, { title: 'Compare Runs', placeholder: 'Select the runs to compare', many: true }))
              ?.runIds;
      if (runIds && runIds.length > 0) await controller.showRuns(runIds);
    }),
    registerCommand(OPEN_RUN_COMMAND, services.log, async (...args: unknown[]) => {
      const runId =
        CommandArgs.runId(args) ??
        (await pickRuns(services, { title: 'Open Run', placeholder: 'Select a run', many: false }))?.runIds[0];
      if (runId) await controller.openRun(runId);
    }),
    vscode.window.registerWebviewPanelSerializer(COMPARE_VIEW_TYPE, new CompareSerializer(controller)),
  );
  return { controller, disposable };
}
