import { cellAccessor, columnLabel, exportCell, type Column } from './columns';
import type { CompareRow, CompareTable } from '../../protocol/compare';

/** The table as the user sees it (their columns, their row order), in CSV or Markdown. */

export type TableExportFormat = 'csv' | 'markdown';

function exportGrid(table: CompareTable, rows: readonly CompareRow[], columns: readonly Column[]): string[][] {
  const readers = columns.map((c) => cellAccessor(table, c));
  const header = ['id', ...columns.map(columnLabel)];
  const body = rows.map((row) => [row.id, ...columns.map((c, i) => exportCell(c, readers[i]?.(row) ?? null))]);
  return [header, ...body];
}

/** RFC 4180: fields with a comma, quote or line break are quoted, quotes doubled; CRLF line ends. */
export function toCsv(table: CompareTable, rows: readonly CompareRow[], columns: readonly Column[]): string {
  const quote = (field: string) => (/[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field);
  return exportGrid(table, rows, columns)
    .map((line) => line.map(quote).join(','))
    .join('\r\n')
    .concat('\r\n');
}

/** A GitHub-flavoured Markdown table; pipes and line breaks inside cells are escaped. */
export function toMarkdown(table: CompareTable, rows: readonly CompareRow[], columns: readonly Column[]): string {
  const [header, ...body] = exportGrid(table, rows, columns);
  const escape = (field: string) => field.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  const line = (cells: string[]) => `| ${cells.map(escape).join(' | ')} |`;
  const numeric = columns.map((c) => c.kind === 'metric' || (c.kind === 'field' && c.field === 'duration'));
  const separator = `| --- | ${numeric.map((n) => (n ? '---:' : '---')).join(' | ')} |`;
  return [line(header ?? []), separator, ...body.map(line)].join('\n').concat('\n');
}

export function exportTable(
  format: TableExportFormat,
  table: CompareTable,
  rows: readonly CompareRow[],
  columns: readonly Column[],
): string {
  return format === 'csv' ? toCsv(table, rows, columns) : toMarkdown(table, rows, columns);
}
