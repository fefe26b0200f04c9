import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TargetsFileSchema, type TargetConfig } from '../core/deploy/targets-config';
import { TRACKSIDE_DIR } from '../core/runs/protocol';
import { CliError } from './errors';

/** `--targets-file` when given (then it must exist), else `<workspace>/.trackside/targets.json` if there is one. */
export function targetsFilePath(flag: string | undefined, workspaceRoot: string): string {
  return flag ? resolve(flag) : join(workspaceRoot, TRACKSIDE_DIR, 'targets.json');
}

export function readTargetsFile(path: string, required: boolean): TargetConfig[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    if (required) throw new CliError(`cannot read the targets file ${path}`, 2);
    return [];
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${path} is not JSON: ${(error as Error).message}`, 2);
  }
  const parsed = TargetsFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new CliError(
      `${path} is not a valid targets file: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      2,
    );
  }
  return parsed.data.targets;
}

/** The bearer token deployed servers ask every client for: TRACKSIDE_SERVING_TOKEN, when set. */
export function servingTokenFromEnvironment(): string | undefined {
  return process.env.TRACKSIDE_SERVING_TOKEN || undefined;
}
