import type { CliCommand } from '../command';
import { CliError } from '../errors';
import { formatDuration, formatNumber, runDuration } from '../../core/format/numbers';
import { formatTime, renderTable, uniquePrefixLength } from '../format';
import {
  describeDriver,
  openCurrentIndex,
  parseCommandArgs,
  reportInvalidRuns,
  resolveWorkspace,
  START_A_RUN,
  printedHelp,
} from '../workspace-index';
import { RunStatusValue } from '../../core/runs/protocol';
import { queryRuns, summariesForRuns, type SummaryEntry } from '../../core/store/runs';

const USAGE = `Usage: trackside ls [options]

Lists runs, newest first.

Options:
  --experiment <name>   only runs of this experiment
  --status <status>     only runs with this status (${RunStatusValue.options.join(', ')}); repeatable
  --metric <key>        show this metric's last value (repeatable; default: the most common ones)
  --sort <key>          sort by this metric's last value (ascending with --asc)
  --asc                 oldest (or lowest) first
  --limit <n>           at most n runs (default 50)
  --json                machine-readable output
  --workspace <path>    the folder holding .trackside/ (default: nearest above the working folder)`;

const DEFAULT_METRIC_COLUMNS = 3;

export const lsCommand: CliCommand = {
  async run(args) {
    const { values } = parseCommandArgs(
      args,
      {
        experiment: { type: 'string' },
        status: { type: 'string', multiple: true },
        metric: { type: 'string', multiple: true },
        sort: { type: 'string' },
        asc: { type: 'boolean' },
        limit: { type: 'string' },
        json: { type: 'boolean' },
        workspace: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      USAGE,
    );
    if (printedHelp(values, USAGE)) return 0;
    const limit = values.limit === undefined ? 50 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      throw new CliError(`--limit must be a whole number from 1 to 10000, got "${values.limit}"`, 2);
    }
    for (const status of values.status ?? []) {
      if (!RunStatusValue.safeParse(status).success) {
        throw new CliError(`unknown status "${status}": use one of ${RunStatusValue.options.join(', ')}`, 2);
      }
    }
    const root = resolveWorkspace(values.workspace);
    const { store, ingest } = await openCurrentIndex(root);
    try {
      reportInvalidRuns(ingest);
      const page = queryRuns(store, {
        experiment: values.experiment,
        status: values.status,
        sort: values.sort ? { by: 'metric', key: values.sort } : { by: 'created' },
        direction: values.asc ? 'asc' : 'desc',
        limit,
      });
      const summaries = summariesForRuns(
        store,
        page.rows.map((r) => r.id),
      );
      const byRun = new Map<string, Map<string, SummaryEntry>>();
      for (const s of summaries) {
        let metrics = byRun.get(s.runId);
        if (!metrics) byRun.set(s.runId, (metrics = new Map()));
        metrics.set(s.key, s);
      }
      if (values.json) {
        const rows = page.rows.map((row) => ({
          ...row,
          metrics: Object.fromEntries(
            [...(byRun.get(row.id)?.values() ?? [])].map(({ runId: _runId, key, ...rest }) => [key, rest]),
          ),
        }));
        const index = { path: store.path, driver: store.driver.name, sqliteVersion: store.driver.sqliteVersion };
        process.stdout.write(`${JSON.stringify({ total: page.total, runs: rows, index }, null, 2)}\n`);
        return 0;
      }
      if (page.rows.length === 0) {
        const filtered = values.experiment !== undefined || (values.status?.length ?? 0) > 0;
        process.stderr.write(filtered ? 'no runs match these filters\n' : `no runs in ${root}: ${START_A_RUN}\n`);
        return 0;
      }
      const metricKeys = values.metric ?? mostCommonKeys(summaries, values.sort);
      const idLength = uniquePrefixLength(page.rows.map((r) => r.id));
      const headers = ['ID', 'EXPERIMENT', 'NAME', 'STATUS', 'CREATED', 'DURATION', ...metricKeys];
      const rows = page.rows.map((run) => [
        run.id.slice(0, idLength),
        run.experiment,
        run.name,
        run.status,
        formatTime(run.createdAt),
        formatDuration(runDuration(run)),
        ...metricKeys.map((key) => formatNumber(byRun.get(run.id)?.get(key)?.last)),
      ]);
      const numeric = headers.map((_, i) => i >= 6);
      process.stdout.write(`${renderTable(headers, rows, numeric)}\n`);
      if (page.total > page.rows.length) {
        process.stdout.write(`(${page.rows.length} of ${page.total} runs; --limit to see more)\n`);
      }
      process.stdout.write(`(index: ${describeDriver(store)})\n`);
      return 0;
    } finally {
      store.close();
    }
  },
};

/** The metric keys most runs on the page share, the sort key first. */
function mostCommonKeys(summaries: SummaryEntry[], sortKey: string | undefined): string[] {
  const counts = new Map<string, number>();
  for (const s of summaries) counts.set(s.key, (counts.get(s.key) ?? 0) + 1);
  const keys = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([key]) => key);
  const chosen = sortKey ? [sortKey, ...keys.filter((k) => k !== sortKey)] : keys;
  return chosen.slice(0, DEFAULT_METRIC_COLUMNS);
}
