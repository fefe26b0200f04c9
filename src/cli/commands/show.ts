import type { CliCommand } from '../command';
import { CliError } from '../errors';
import { formatBytes, formatDuration, formatNumber, runDuration } from '../../core/format/numbers';
import { formatTime, renderTable } from '../format';
import {
  describeDriver,
  openCurrentIndex,
  parseCommandArgs,
  reportInvalidRuns,
  resolveWorkspace,
  printedHelp,
} from '../workspace-index';
import { getRunDetail, type RunDetail } from '../../core/store/run-detail';
import { resolveRunId } from '../../core/store/runs';

const USAGE = `Usage: trackside show <run id or unique prefix> [--json] [--workspace <path>]

Shows everything the index knows about one run.`;

export const showCommand: CliCommand = {
  async run(args) {
    const { values, positionals } = parseCommandArgs(
      args,
      { json: { type: 'boolean' }, workspace: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      USAGE,
      true,
    );
    if (printedHelp(values, USAGE)) return 0;
    const [wanted, ...extra] = positionals;
    if (!wanted || extra.length > 0) throw new CliError(`give exactly one run id\n\n${USAGE}`, 2);
    const root = resolveWorkspace(values.workspace);
    const { store, ingest } = await openCurrentIndex(root);
    try {
      reportInvalidRuns(ingest);
      const resolution = resolveRunId(store, wanted);
      if (resolution.kind === 'none') {
        throw new CliError(`no run matches "${wanted}" in ${root}: \`trackside ls\` lists the runs`);
      }
      if (resolution.kind === 'ambiguous') {
        throw new CliError(
          `"${wanted}" matches several runs (${resolution.candidates.join(', ')}…): give more characters`,
        );
      }
      const detail = getRunDetail(store, resolution.runId) as RunDetail;
      const index = { path: store.path, driver: store.driver.name, sqliteVersion: store.driver.sqliteVersion };
      process.stdout.write(
        values.json
          ? `${JSON.stringify({ ...detail, index }, null, 2)}\n`
          : `${renderDetail(detail)}\n\n${`Index:`.padEnd(14)}${describeDriver(store)}\n`,
      );
      return 0;
    } finally {
      store.close();
    }
  },
};

function renderDetail(run: RunDetail): string {
  const field = (label: string, value: string) => `${`${label}:`.padEnd(14)}${value}`;
  const status = run.message ? `${run.status} (${run.message})` : run.status;
  const exit = [
    run.exitCode === null ? null : `exit code ${run.exitCode}`,
    run.signal ? `signal ${run.signal}` : null,
  ].filter(Boolean);
  const env = run.environment as { os?: string; interpreter?: string | null; interpreterVersion?: string | null };
  const packages = Object.entries((run.environment.packages ?? {}) as Record<string, string>)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  const lines = [
    field('Run', run.id),
    field('Name', run.name),
    field('Experiment', run.experiment),
    field('Status', status + (exit.length > 0 ? `, ${exit.join(', ')}` : '')),
    field('Created', formatTime(run.createdAt)),
    field('Started', formatTime(run.startedAt)),
    field('Ended', formatTime(run.endedAt)),
    field('Duration', formatDuration(runDuration(run))),
    field('Command', run.argv.join(' ')),
    field('Working dir', run.cwd),
  ];
  if (run.script) lines.push(field('Script', run.script));
  if (run.gitCommit || run.gitBranch) {
    const dirty = run.gitDirty ? ' (uncommitted changes saved in git.patch)' : '';
    lines.push(field('Git', `${run.gitBranch ?? '(detached)'} @ ${run.gitCommit?.slice(0, 12) ?? '?'}${dirty}`));
  }
  if (run.gitRemote) lines.push(field('Remote', run.gitRemote));
  if (run.parentRunId) lines.push(field('Parent run', run.parentRunId));
  lines.push(field('Host', `${run.hostname ?? '?'}${run.pid === null ? '' : `, pid ${run.pid}`}`));
  if (env.os) lines.push(field('OS', env.os));
  if (env.interpreter) lines.push(field('Interpreter', `${env.interpreter} ${env.interpreterVersion ?? ''}`.trim()));
  if (packages) lines.push(field('Packages', packages));
  if (run.note) lines.push(field('Note', run.note));
  lines.push(field('Malformed', `${run.malformedLines} line${run.malformedLines === 1 ? '' : 's'} skipped`));

  if (run.params.length > 0) {
    lines.push('', 'Params');
    lines.push(
      indent(
        renderTable(
          ['KEY', 'VALUE'],
          run.params.map((p) => [p.key, p.text ?? 'null']),
        ),
      ),
    );
  }
  if (run.summaries.length > 0) {
    lines.push('', 'Metrics');
    const rows = run.summaries.map((s) => [
      s.key,
      formatNumber(s.last ?? Number.NaN),
      formatNumber(s.min),
      formatNumber(s.max),
      String(s.count),
      formatNumber(s.lastStep),
    ]);
    lines.push(
      indent(
        renderTable(['KEY', 'LAST', 'MIN', 'MAX', 'POINTS', 'LAST STEP'], rows, [false, true, true, true, true, true]),
      ),
    );
  }
  if (run.tags.length > 0) {
    lines.push('', 'Tags');
    lines.push(
      indent(
        renderTable(
          ['KEY', 'VALUE'],
          run.tags.map((t) => [t.key, t.value]),
        ),
      ),
    );
  }
  if (run.artifacts.length > 0) {
    lines.push('', 'Artifacts');
    const rows = run.artifacts.map((a) => [
      a.role,
      a.kind,
      a.path,
      a.sha256 ? a.sha256.slice(0, 12) : '-',
      formatBytes(a.size),
    ]);
    lines.push(indent(renderTable(['ROLE', 'KIND', 'PATH', 'SHA256', 'SIZE'], rows)));
  }
  return lines.join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
