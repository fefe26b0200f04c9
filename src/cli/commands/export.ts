import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CliCommand } from '../command';
import { CliError } from '../errors';
import {
  openCurrentIndex,
  parseCommandArgs,
  reportInvalidRuns,
  resolveWorkspace,
  printedHelp,
} from '../workspace-index';
import { comparedParams, getComparison, type ComparisonPayload } from '../../core/store/comparison';
import { allRunIds, summariesForRuns, type ParamEntry, type SummaryEntry } from '../../core/store/runs';

const USAGE = `Usage: trackside export [--format csv|json] [--experiment <name>] [-o <file>] [--workspace <path>]

Writes every run with its params and metric summaries (last, min, max, count), to stdout or a file.`;

export const exportCommand: CliCommand = {
  async run(args) {
    const { values } = parseCommandArgs(
      args,
      {
        format: { type: 'string', default: 'csv' },
        experiment: { type: 'string' },
        output: { type: 'string', short: 'o' },
        workspace: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      USAGE,
    );
    if (printedHelp(values, USAGE)) return 0;
    if (values.format !== 'csv' && values.format !== 'json') {
      throw new CliError(`unknown format "${values.format}": use csv or json`, 2);
    }
    const root = resolveWorkspace(values.workspace);
    const { store, ingest } = await openCurrentIndex(root);
    let text: string;
    let count: number;
    try {
      reportInvalidRuns(ingest);
      const ids = allRunIds(store, values.experiment);
      if (values.experiment !== undefined && ids.length === 0) {
        throw new CliError(`no runs in experiment "${values.experiment}": \`trackside ls\` lists the runs`);
      }
      const payload = getComparison(store, ids);
      // The comparison carries what a table shows; the export adds each summary's last step and time.
      const summaries = groupByRun(summariesForRuns(store, ids));
      count = payload.runs.length;
      text =
        values.format === 'csv'
          ? toCsv(payload, summaries)
          : `${JSON.stringify(toJson(payload, summaries), null, 2)}\n`;
    } finally {
      store.close();
    }
    if (values.output) {
      const path = resolve(values.output);
      try {
        await writeFile(path, text);
      } catch (error) {
        throw new CliError(`cannot write ${path}: ${(error as Error).message}`);
      }
      process.stderr.write(`exported ${count} runs to ${path}\n`);
    } else {
      process.stdout.write(text);
    }
    return 0;
  },
};

const RUN_COLUMNS = [
  'id',
  'experiment',
  'name',
  'status',
  'createdAt',
  'startedAt',
  'endedAt',
  'exitCode',
  'gitCommit',
  'gitBranch',
  'gitDirty',
  'malformedLines',
] as const;
const SUMMARY_FIELDS = ['last', 'min', 'max', 'count'] as const;

function paramValue(entry: ParamEntry): string | number | null {
  if (entry.number !== null && String(entry.number) === entry.text) return entry.number;
  return entry.text;
}

function toJson(payload: ComparisonPayload, summaries: ReadonlyMap<string, SummaryEntry[]>) {
  return payload.runs.map((run, r) => ({
    ...run,
    params: Object.fromEntries(comparedParams(payload, r).map((p) => [p.key, paramValue(p)])),
    metrics: Object.fromEntries(
      (summaries.get(run.id) ?? []).map(({ runId: _runId, key, ...summary }) => [key, summary]),
    ),
  }));
}

function toCsv(payload: ComparisonPayload, summaries: ReadonlyMap<string, SummaryEntry[]>): string {
  const header = [
    ...RUN_COLUMNS,
    ...payload.paramKeys.map((k) => `param.${k}`),
    ...payload.metricKeys.flatMap((k) => SUMMARY_FIELDS.map((f) => `metric.${k}.${f}`)),
  ];
  const lines = [header.map(csvCell).join(',')];
  payload.runs.forEach((run, r) => {
    const runParams = new Map(comparedParams(payload, r).map((p) => [p.key, p]));
    const runMetrics = new Map((summaries.get(run.id) ?? []).map((s) => [s.key, s]));
    const cells = [
      ...RUN_COLUMNS.map((c) => run[c]),
      ...payload.paramKeys.map((k) => runParams.get(k)?.text ?? null),
      ...payload.metricKeys.flatMap((k) => {
        const s = runMetrics.get(k);
        return SUMMARY_FIELDS.map((f) => (s ? (s[f] ?? (f === 'last' ? 'NaN' : null)) : null));
      }),
    ];
    lines.push(cells.map(csvCell).join(','));
  });
  return `${lines.join('\r\n')}\r\n`;
}

/** RFC 4180: quote cells holding a comma, quote or line break; empty for null. */
function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function groupByRun<T extends { runId: string }>(entries: T[]): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const entry of entries) {
    const list = map.get(entry.runId);
    if (list) list.push(entry);
    else map.set(entry.runId, [entry]);
  }
  return map;
}
