import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import {
  RegistrySettingSchema,
  resolveEndpoint,
  type RegistryEndpoint,
  type RegistrySetting,
} from '../../core/registry/endpoint';
import { UserError } from '../../core/user-error';

/**
 * The `trackside.registries` setting, read through the core's schema: entries that do not parse are
 * reported (with their position) instead of silently dropped, and a name used twice keeps its first
 * entry, so the pickers never show two registries a user cannot tell apart.
 */

export const REGISTRIES_SETTING = 'registries';
/** The full key, for "Open Settings" links. */
export const REGISTRIES_SETTING_KEY = `trackside.${REGISTRIES_SETTING}`;

export interface RegistrySettings {
  registries: RegistrySetting[];
  /** One line per entry that was ignored, for the user to fix. */
  problems: string[];
}

export function parseRegistrySettings(raw: unknown): RegistrySettings {
  if (raw === undefined || raw === null) return { registries: [], problems: [] };
  if (!Array.isArray(raw)) return { registries: [], problems: [`${REGISTRIES_SETTING_KEY} must be a list`] };
  const registries: RegistrySetting[] = [];
  const problems: string[] = [];
  raw.forEach((entry: unknown, index) => {
    const parsed = RegistrySettingSchema.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      problems.push(`entry ${index + 1} is ignored (${where}${issue?.message ?? 'invalid'})`);
      return;
    }
    if (registries.some((r) => r.name === parsed.data.name)) {
      problems.push(`entry ${index + 1} is ignored: the name "${parsed.data.name}" is used by an earlier entry`);
      return;
    }
    registries.push(parsed.data);
  });
  return { registries, problems };
}

/** The host (`host:port`) an entry talks to, which is also the key of its stored credentials. */
export function registryHost(setting: Pick<RegistrySetting, 'url' | 'plainHttp'>): string {
  return resolveEndpoint(toEndpointWithoutCa(setting)).host;
}

function toEndpointWithoutCa(setting: Pick<RegistrySetting, 'url' | 'plainHttp'>): RegistryEndpoint {
  const hostOf = /^[a-z][a-z0-9+.-]*:\/\//i.test(setting.url.trim())
    ? new URL(setting.url.trim()).host
    : setting.url.trim().replace(/\/.*$/, '');
  return { url: setting.url, plainHttpHosts: setting.plainHttp ? [hostOf] : [] };
}

/** Why a registry entry cannot be used as written; shown with an "Open Settings" action. */
export class RegistrySettingError extends UserError {
  constructor(
    readonly reason: 'ca-file-unreadable' | 'invalid-url',
    message: string,
  ) {
    super(message);
    this.name = 'RegistrySettingError';
  }
}

/** `~/x` is the home folder's; a relative path is the workspace's. */
export function resolveCaPath(caFile: string, workspaceRoot: string | undefined): string {
  if (caFile === '~' || caFile.startsWith('~/')) return join(homedir(), caFile.slice(1));
  if (isAbsolute(caFile) || !workspaceRoot) return caFile;
  return join(workspaceRoot, caFile);
}

/** The endpoint the core client takes: plain HTTP allowed only when the entry says so, the CA read from its file. */
export async function toEndpoint(
  setting: RegistrySetting,
  workspaceRoot: string | undefined,
): Promise<RegistryEndpoint> {
  let endpoint: RegistryEndpoint;
  try {
    endpoint = toEndpointWithoutCa(setting);
  } catch {
    throw new RegistrySettingError(
      'invalid-url',
      `The URL "${setting.url}" of registry "${setting.name}" is not valid.`,
    );
  }
  if (!setting.caFile) return endpoint;
  const path = resolveCaPath(setting.caFile, workspaceRoot);
  try {
    return { ...endpoint, ca: await readFile(path, 'utf8') };
  } catch (error) {
    throw new RegistrySettingError(
      'ca-file-unreadable',
      `The CA file ${path} of registry "${setting.name}" cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
    );
  }
}

/** An entry as it is written back to settings: defaults left out, so the JSON stays as short as a user writes it. */
export function settingEntry(setting: RegistrySetting): Record<string, unknown> {
  const entry: Record<string, unknown> = { name: setting.name, url: setting.url };
  if (setting.repositoryPrefix) entry.repositoryPrefix = setting.repositoryPrefix;
  if (setting.caFile) entry.caFile = setting.caFile;
  if (setting.plainHttp) entry.plainHttp = true;
  return entry;
}

/** Replaces the entry of the same name, or appends. */
export function withRegistry(raw: unknown, setting: RegistrySetting): unknown[] {
  const list = Array.isArray(raw) ? [...(raw as unknown[])] : [];
  const NamedSchema = z.object({ name: z.string() });
  const at = list.findIndex((e) => NamedSchema.safeParse(e).data?.name === setting.name);
  if (at >= 0) list[at] = settingEntry(setting);
  else list.push(settingEntry(setting));
  return list;
}
