import * as vscode from 'vscode';
import { z } from 'zod';
import { SYSTEM_METRICS_INTERVAL_ENV } from '../core/runs/system-metrics';
import { SlurmError } from '../core/slurm/errors';
import { parseComputeTargets, type ComputeTargets } from '../core/slurm/target';
import { readTargetsSetting, type TargetsSettingReading } from './deploy/targets-setting';
import { parseRegistrySettings, type RegistrySettings } from './registry/registry-settings';

/** Every `trackside.*` setting the extension reads; each is contributed in package.json with its default. */
export const SETTING_KEYS = [
  'python.interpreter',
  'inlineCharts.enabled',
  'notifications.runEnded',
  'queue.concurrency',
  'systemMetrics.intervalSeconds',
  'monitoring.errorRateAlert',
  'monitoring.driftAlertShare',
  'monitoring.driftCheckSeconds',
  'monitoring.predictionLogSampleRate',
  'compute',
  'registries',
  'targets',
] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];

export interface EditorMonitoringSettings {
  /** Share of failed requests (0–1) in a polling window that warns. */
  errorRateAlert: number;
  /** Share of drifted features (0–1) that warns; 0 warns at the first drifted feature. */
  driftAlertShare: number;
  /** Seconds between drift checks of a deployment that received requests; 0 never checks. */
  driftCheckSeconds: number;
  /** Share of answered requests a new deployment writes to its prediction log. */
  predictionLogSampleRate: number;
}

/** One entry of `trackside.compute`: a Slurm target with the name the pickers show. */
const ComputeEntrySchema = z.object({ name: z.string().min(1) }).passthrough();

/**
 * Trackside's settings, read through one typed class. Defaults live in one place — package.json's
 * contributions, which VS Code applies — and every value is validated here: a wrong type falls back
 * to the default instead of reaching the feature that reads it; list settings report their bad
 * entries by name and field.
 */
export class Settings {
  private read<T>(key: SettingKey, schema: z.ZodType<T>, scope?: vscode.Uri): T {
    const config = vscode.workspace.getConfiguration('trackside', scope);
    const parsed = schema.safeParse(config.get<unknown>(key));
    if (parsed.success) return parsed.data;
    return schema.parse(config.inspect<unknown>(key)?.defaultValue);
  }

  /** The interpreter chosen for Trackside in this scope, or undefined for "ask the Python extension". */
  pythonInterpreter(scope?: vscode.Uri): string | undefined {
    return this.read('python.interpreter', z.string(), scope).trim() || undefined;
  }

  get inlineChartsEnabled(): boolean {
    return this.read('inlineCharts.enabled', z.boolean());
  }

  get notifyRunEnded(): boolean {
    return this.read('notifications.runEnded', z.boolean());
  }

  /** The monitoring of deployments: when the editor warns and how much traffic a server logs. */
  get monitoring(): EditorMonitoringSettings {
    return {
      errorRateAlert: this.read('monitoring.errorRateAlert', z.number().min(0).max(1)),
      driftAlertShare: this.read('monitoring.driftAlertShare', z.number().min(0).max(1)),
      driftCheckSeconds: this.read('monitoring.driftCheckSeconds', z.number().int().min(0)),
      predictionLogSampleRate: this.read('monitoring.predictionLogSampleRate', z.number().min(0).max(1)),
    };
  }

  /** Seconds between the launcher's system-metric samples; 0 turns them off. */
  get systemMetricsIntervalSeconds(): number {
    return this.read('systemMetrics.intervalSeconds', z.number().min(0));
  }

  /** The environment that carries these settings to the launcher (`trackside run`). */
  launcherEnvironment(): Record<string, string> {
    return { [SYSTEM_METRICS_INTERVAL_ENV]: String(this.systemMetricsIntervalSeconds) };
  }

  /** How many queued runs may run at once (a whole number, at least 1). */
  get queueConcurrency(): number {
    return this.read('queue.concurrency', z.number().int().min(1));
  }

  /**
   * The Slurm compute targets of `trackside.compute` (a list of `{name, partition, …}`), validated
   * by the schema the CLI's `.trackside/compute.json` uses. A bad entry throws a SlurmError naming
   * the setting, the entry and the field.
   */
  computeTargets(scope?: vscode.Uri): ComputeTargets {
    const raw = vscode.workspace.getConfiguration('trackside', scope).get<unknown>('compute');
    const entries = z.array(ComputeEntrySchema).safeParse(raw ?? []);
    if (!entries.success) {
      throw new SlurmError('bad-target', 'trackside.compute must be a list of targets, each with a "name"');
    }
    const byName: Record<string, unknown> = {};
    for (const { name, ...target } of entries.data) {
      if (name in byName) throw new SlurmError('bad-target', `trackside.compute: two targets are named "${name}"`);
      byName[name] = target;
    }
    return parseComputeTargets(byName, 'trackside.compute');
  }

  /** Compute target names, or none when the setting is empty or invalid (the CodeLens and menus hide then). */
  computeTargetNames(scope?: vscode.Uri): string[] {
    try {
      return Object.keys(this.computeTargets(scope));
    } catch {
      return [];
    }
  }

  /** `trackside.registries` (user, workspace and folder merged), entry by entry. */
  get registries(): RegistrySettings {
    return parseRegistrySettings(vscode.workspace.getConfiguration('trackside').get<unknown>('registries'));
  }

  /** `trackside.targets` for a folder: the valid targets and a line per problem. */
  targets(workspaceRoot: string | undefined): TargetsSettingReading {
    return readTargetsSetting(vscode.workspace.getConfiguration('trackside').get<unknown>('targets'), workspaceRoot);
  }

  /** Calls `listener` when one of `keys` changes. */
  onDidChange(keys: readonly SettingKey[], listener: () => void): vscode.Disposable {
    return vscode.workspace.onDidChangeConfiguration((e) => {
      if (keys.some((key) => e.affectsConfiguration(`trackside.${key}`))) listener();
    });
  }
}
