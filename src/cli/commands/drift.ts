import { resolve } from 'node:path';
import type { CliCommand } from '../command';
import { CliError } from '../errors';
import { readTargetsFile, servingTokenFromEnvironment, targetsFilePath } from '../targets-file';
import { renderTable } from '../format';
import { parseCommandArgs, printedHelp } from '../workspace-index';
import { DeployError } from '../../core/deploy/errors';
import { formatNumber } from '../../core/format/numbers';
import { shortDigest } from '../../core/deploy/model-ref';
import { DeploymentStore } from '../../core/deploy/record-store';
import type { DeploymentRecord } from '../../core/deploy/records';
import { createTargets } from '../../core/deploy/target-factory';
import { MonitoringError } from '../../core/monitoring/errors';
import { DeploymentMonitor } from '../../core/monitoring/monitor';
import type { DriftReport } from '../../core/monitoring/report';
import { findWorkspaceRoot } from '../../core/runs/workspace';

const USAGE = `Usage: trackside drift <deployment> [--json] [--since <time>] [--reference <file>] [options]

Compares what a deployment was asked (its prediction log) with the data its model was trained on
(the CSV the model's run logged as an input), feature by feature: PSI over ten quantile bins of the
training data, the Kolmogorov–Smirnov test for numbers, χ² for categories.

Exit code: 0 no data-set drift, 1 data-set drift (at least half the features drifted),
2 usage error, 3 the report could not be made (no reference, no logged requests, target unreachable).

Options:
  --since <time>          only requests since then: an ISO time (2026-12-01T08:00Z) or an age (30m, 6h, 7d)
  --reference <file>      compare with this CSV instead of the model's training data
  --target-column <name>  the reference column that is the target, not a feature (default: label, target, y or class)
  --categorical <name>    a reference column of categories written as numbers (repeatable)
  --version <digest>      only the requests one version answered (e.g. a canary's)
  --target <name>         the target, when the deployment name is on several
  --targets-file <path>   read targets from this file (default: <workspace>/.trackside/targets.json)
  --workspace <path>      the folder holding .trackside/ (default: nearest above the working folder)
  --json                  print the whole report (histograms included) as JSON`;

const AGE = /^(\d+(?:\.\d+)?)(s|m|h|d)$/;
const SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;

/** Seconds since the epoch from an ISO time or an age such as `6h`. */
export function parseSince(text: string, now = Date.now()): number {
  const age = AGE.exec(text.trim());
  if (age) return now / 1000 - Number(age[1]) * SECONDS[age[2] as keyof typeof SECONDS];
  const at = Date.parse(text);
  if (Number.isNaN(at))
    throw new CliError(`--since takes an ISO time or an age such as 30m, 6h or 7d, not "${text}"`, 2);
  return at / 1000;
}

function deploymentRecord(store: DeploymentStore, name: string, target: string | undefined): DeploymentRecord {
  const candidates = store
    .latestPerName()
    .filter((r) => r.name === name && (target === undefined || r.target === target));
  if (candidates.length === 0) {
    throw new CliError(
      `no deployment named "${name}"${target ? ` on ${target}` : ''}: trackside deployments lists them`,
      2,
    );
  }
  if (candidates.length > 1) {
    throw new CliError(
      `"${name}" is deployed on ${candidates.map((r) => r.target).join(' and ')}: say which with --target`,
      2,
    );
  }
  const latest = candidates[0]!;
  return store.current(latest.target, name) ?? latest;
}

function pValueText(p: number): string {
  return p < 1e-4 ? p.toExponential(1) : p.toFixed(4);
}

export function renderDriftReport(report: DriftReport): string {
  const lines: string[] = [];
  const deployment = report.deployment;
  if (deployment) {
    lines.push(
      `${deployment.name} on ${deployment.target}${deployment.modelVersion ? ` serves ${deployment.modelVersion}` : ''}`,
    );
  }
  lines.push(`reference: ${report.reference.path} (${report.reference.rows} rows)`);
  const versions = Object.entries(report.live.versions)
    .map(([version, n]) => `${shortDigest(version)}: ${n}`)
    .join(', ');
  lines.push(
    `live: ${report.live.rows} rows in ${report.live.requests} requests, ${report.live.from ?? '-'} to ${report.live.to ?? '-'} (${versions})`,
    '',
  );
  const rows = report.features.map((f) => [
    f.name,
    f.kind,
    f.test.name === 'ks' ? `KS ${f.test.method}` : `χ² (${f.test.dof} dof)`,
    formatNumber(f.test.statistic),
    pValueText(f.test.pValue),
    f.psi.value.toFixed(3),
    f.psi.level,
    f.drifted ? 'DRIFT' : '',
  ]);
  lines.push(
    renderTable(['feature', 'kind', 'test', 'statistic', 'p-value', 'PSI', 'PSI level', 'drifted'], rows, [
      false,
      false,
      false,
      true,
      true,
      true,
      false,
      false,
    ]),
    '',
    `data-set drift: ${report.datasetDrift ? 'yes' : 'no'} — ${report.driftedFeatures.length} of ${report.features.length} features drifted` +
      ` (${Math.round(report.share * 100)}%; threshold ${Math.round(report.thresholds.datasetShare * 100)}%)`,
  );
  for (const warning of report.warnings) lines.push(`note: ${warning}`);
  return `${lines.join('\n')}\n`;
}

export const driftCommand: CliCommand = {
  async run(args) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        json: { type: 'boolean' },
        since: { type: 'string' },
        reference: { type: 'string' },
        'target-column': { type: 'string' },
        categorical: { type: 'string', multiple: true },
        version: { type: 'string' },
        target: { type: 'string' },
        'targets-file': { type: 'string' },
        workspace: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      USAGE,
      true,
    );
    if (printedHelp(values, USAGE)) return 0;
    if (positionals.length !== 1) throw new CliError(`name one deployment\n\n${USAGE}`, 2);
    const workspaceRoot = values.workspace ? resolve(values.workspace) : findWorkspaceRoot(process.cwd());
    const since = values.since === undefined ? undefined : parseSince(values.since);
    const record = deploymentRecord(new DeploymentStore(workspaceRoot), positionals[0]!, values.target);
    const file = targetsFilePath(values['targets-file'], workspaceRoot);
    const config = readTargetsFile(file, values['targets-file'] !== undefined).find((t) => t.name === record.target);
    if (!config) throw new CliError(`${record.name} runs on ${record.target}, which ${file} does not define`, 2);
    if (config.kind === 'kserve') {
      throw new CliError(`${record.target} is a Kubernetes target: its prediction logs stay in the cluster`, 2);
    }
    const monitor = new DeploymentMonitor({
      workspaceRoot,
      targets: createTargets([config]),
      servingToken: async () => servingTokenFromEnvironment(),
    });
    let report: DriftReport;
    try {
      report = await monitor.drift(record, {
        ...(since !== undefined ? { since } : {}),
        ...(values.reference ? { referencePath: resolve(values.reference) } : {}),
        ...(values['target-column'] ? { targetColumn: values['target-column'] } : {}),
        ...(values.categorical ? { categorical: values.categorical } : {}),
        ...(values.version ? { version: values.version } : {}),
      });
    } catch (error) {
      if (error instanceof MonitoringError || error instanceof DeployError) {
        throw new CliError(`${error.message}\nnext step: ${error.nextStep}`, 3);
      }
      throw error;
    }
    process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderDriftReport(report));
    return report.datasetDrift ? 1 : 0;
  },
};
