import * as vscode from 'vscode';
import { OciRegistryClient } from '../../core/registry/client';
import { isLoopbackHost, type RegistrySetting } from '../../core/registry/endpoint';
import { RegistryError } from '../../core/registry/errors';
import { isValidRepository } from '../../core/registry/reference';
import type { Settings } from '../settings';
import { saveRegistry } from './configured-registries';
import type { RegistryCredentialSession } from './credential-session';
import { showRegistryError } from './registry-errors';
import { RegistrySettingError, toEndpoint } from './registry-settings';

/**
 * "Add Registry…": name, URL, repository prefix and CA file, then a real `GET /v2/` with the same
 * credentials flow a push uses (asked on the first 401, kept in SecretStorage once accepted). Only a
 * registry that answered — or one the user saves anyway — is written to the user's settings.
 */

export interface AddRegistryDeps {
  workspaceRoot(): string | undefined;
  credentials(): RegistryCredentialSession;
  log: vscode.LogOutputChannel;
  settings: Settings;
}

const TITLE = 'Add Registry';

export async function addRegistry(deps: AddRegistryDeps): Promise<RegistrySetting | undefined> {
  const existing = deps.settings.registries.registries;
  const url = await vscode.window.showInputBox({
    title: `${TITLE} (1/4)`,
    prompt: 'Registry URL: a host such as ghcr.io or registry.example.com:5000 (https), or http://127.0.0.1:5000',
    placeHolder: 'registry.example.com',
    ignoreFocusOut: true,
    validateInput: validateUrl,
  });
  if (url === undefined) return undefined;
  const parsed = parseUrl(url.trim());
  let plainHttp = false;
  if (parsed.protocol === 'http:' && !isLoopbackHost(parsed.hostname)) {
    const allow = await vscode.window.showWarningMessage(
      `${parsed.host} is not on this machine: over plain HTTP, your credentials and models cross the network unencrypted.`,
      { modal: true },
      'Allow Plain HTTP',
    );
    if (allow !== 'Allow Plain HTTP') return undefined;
    plainHttp = true;
  }
  const name = await vscode.window.showInputBox({
    title: `${TITLE} (2/4)`,
    prompt: 'A name to pick this registry by',
    value: uniqueName(
      parsed.hostname.split('.')[0] || parsed.hostname,
      existing.map((r) => r.name),
    ),
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() ? undefined : 'Enter a name'),
  });
  if (name === undefined) return undefined;
  if (existing.some((r) => r.name === name.trim())) {
    const replace = await vscode.window.showWarningMessage(
      `A registry named "${name.trim()}" exists. Replace it?`,
      { modal: true },
      'Replace',
    );
    if (replace !== 'Replace') return undefined;
  }
  const repositoryPrefix = await vscode.window.showInputBox({
    title: `${TITLE} (3/4)`,
    prompt: 'Repository prefix put before model names, such as team/models (may be empty)',
    ignoreFocusOut: true,
    validateInput: (value) =>
      !value.trim() || isValidRepository(value.trim().replace(/\/+$/, ''))
        ? undefined
        : 'Lower-case letters, digits and . _ - separators, with / between path parts',
  });
  if (repositoryPrefix === undefined) return undefined;
  const caFile = await askCaFile(parsed.protocol === 'https:');
  if (caFile === null) return undefined;

  const setting: RegistrySetting = {
    name: name.trim(),
    url: url.trim().replace(/\/+$/, ''),
    repositoryPrefix: repositoryPrefix.trim().replace(/\/+$/, ''),
    plainHttp,
    ...(caFile ? { caFile } : {}),
  };
  if (!(await testConnection(deps, setting))) return undefined;
  await saveRegistry(setting);
  return setting;
}

/** Tests the connection; true when the registry should be saved (it answered, or the user saves anyway). */
async function testConnection(deps: AddRegistryDeps, setting: RegistrySetting): Promise<boolean> {
  for (;;) {
    const session = deps.credentials();
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Testing the connection to ${setting.url}…` },
        async () => {
          const client = new OciRegistryClient(await toEndpoint(setting, deps.workspaceRoot()), {
            credentials: session.provider,
          });
          try {
            return { host: client.host, ...(await client.checkConnection()) };
          } finally {
            await client.close();
          }
        },
      );
      await session.saveAccepted();
      const how = result.authScheme
        ? `${result.authScheme} authentication${result.username ? ` as ${result.username}` : ''}`
        : 'no authentication';
      deps.log.info(`Registry ${setting.name} (${result.host}) answered, ${how}`);
      void vscode.window.showInformationMessage(`Added registry "${setting.name}": ${result.host} answered (${how}).`);
      return true;
    } catch (error) {
      if (!(error instanceof RegistryError) && !(error instanceof RegistrySettingError)) throw error;
      deps.log.warn(`Registry ${setting.name}: connection test failed: ${error.message}`);
      session.logDockerNotes();
      const choice = await showRegistryError(`Connection test of ${setting.url} failed`, error);
      if (choice === 'Retry') continue;
      if (choice === 'Re-enter Credentials') {
        await session.forget(registryHostOf(setting));
        continue;
      }
      const save = await vscode.window.showWarningMessage(
        `Save registry "${setting.name}" although the connection test failed?`,
        'Save Anyway',
      );
      return save === 'Save Anyway';
    }
  }
}

function registryHostOf(setting: RegistrySetting): string {
  return parseUrl(setting.url).host;
}

/** undefined: no CA file; null: cancelled. */
async function askCaFile(https: boolean): Promise<string | undefined | null> {
  if (!https) return undefined;
  const pick = await vscode.window.showQuickPick(
    [
      { label: 'No CA File', description: 'the certificate is signed by a publicly trusted authority', choose: false },
      {
        label: 'Choose CA File…',
        description: 'a PEM file for a self-signed certificate or a private authority',
        choose: true,
      },
    ],
    {
      title: `${TITLE} (4/4)`,
      placeHolder: 'Does this registry need a CA certificate to be trusted?',
      ignoreFocusOut: true,
    },
  );
  if (!pick) return null;
  if (!pick.choose) return undefined;
  const files = await vscode.window.showOpenDialog({
    title: 'CA certificate (PEM)',
    canSelectMany: false,
    filters: { 'PEM certificates': ['pem', 'crt', 'cer'], 'All files': ['*'] },
  });
  return files?.[0]?.fsPath ?? null;
}

function parseUrl(value: string): URL {
  return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`);
}

function validateUrl(value: string): string | undefined {
  const text = value.trim();
  if (!text) return 'Enter the registry URL';
  let url: URL;
  try {
    url = parseUrl(text);
  } catch {
    return 'Not a valid URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'Use https:// (or http:// for a local registry)';
  if (url.pathname !== '/' && url.pathname !== '')
    return 'Give the registry host only; the repository prefix comes next';
  return undefined;
}

function uniqueName(base: string, taken: readonly string[]): string {
  if (!taken.includes(base)) return base;
  for (let i = 2; ; i += 1) if (!taken.includes(`${base}-${i}`)) return `${base}-${i}`;
}
