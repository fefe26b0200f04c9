import { TargetConfigSchema, type TargetConfig } from '../../core/deploy/targets-config';

/** The setting's key, as users write it in settings.json. */
export const TARGETS_SETTING = 'trackside.targets';

export interface TargetsSettingReading {
  /** The valid entries; an invalid entry is left out so the others stay usable. */
  targets: TargetConfig[];
  /** One line per problem, naming the entry and the field: `trackside.targets[1] ("lab"): image: …`. */
  problems: string[];
}

/**
 * Validates the raw `trackside.targets` value entry by entry. A typo in one target must not hide
 * the others, and each problem names the entry and field so the user can go straight to it.
 * KServe targets write their manifests into the open workspace unless the entry says otherwise.
 */
export function readTargetsSetting(raw: unknown, workspaceRoot: string | undefined): TargetsSettingReading {
  if (raw === undefined || raw === null) return { targets: [], problems: [] };
  if (!Array.isArray(raw)) {
    return { targets: [], problems: [`${TARGETS_SETTING} must be a list of targets, like [{"kind": "podman", …}]`] };
  }
  const targets: TargetConfig[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  raw.forEach((entry: unknown, index) => {
    const label = `${TARGETS_SETTING}[${index}]${describeEntry(entry)}`;
    const parsed = TargetConfigSchema.safeParse(entry);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
        problems.push(`${label}: ${field}${issue.message}`);
      }
      return;
    }
    const target = parsed.data;
    if (seen.has(target.name)) {
      problems.push(`${label}: another target is already named "${target.name}"; names must be unique`);
      return;
    }
    seen.add(target.name);
    targets.push(
      target.kind === 'kserve' && !target.workspaceRoot && workspaceRoot ? { ...target, workspaceRoot } : target,
    );
  });
  return { targets, problems };
}

function describeEntry(entry: unknown): string {
  if (entry && typeof entry === 'object' && 'name' in entry && typeof entry.name === 'string') {
    return ` ("${entry.name}")`;
  }
  return '';
}

/** What a target quick pick and the Deployments view show under a target's name. */
export function describeTarget(target: TargetConfig): string {
  switch (target.kind) {
    case 'podman':
      return `Podman · ${target.address}`;
    case 'ssh':
      return `SSH · ${target.user}@${target.host}${target.sshPort === 22 ? '' : `:${target.sshPort}`}`;
    case 'kserve':
      return `KServe · ${target.apply ? 'manifests applied with kubectl' : 'manifests written to the workspace'}`;
  }
}
