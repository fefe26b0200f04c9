import { metricName, namesMeasure } from './metric-names';
import { CLOCK, DURATION, wholeNumber } from './printed-values';
import { countWords, type PrintedPair } from './stdout-text';

/**
 * Tables a training loop prints: a header row of column names, then one row of numbers per
 * iteration. Understood shapes:
 *   `      Iter       Train Loss   Remaining Time`     scikit-learn's GradientBoosting (verbose=1)
 *   `epoch     train_loss  valid_loss  accuracy  time` fastai in a terminal
 *   `Epoch | loss | acc` (also `| Epoch | loss |` with a `|---|` rule)  pipe tables
 *   `Test metric   DataLoader 0`, then `test_loss  0.23`  Lightning's test and validate results
 * The first column named like an iteration (Iter, Epoch, Step, Round, it) whose cell is a whole
 * number is the step; times and durations (`0.35s`, `00:01`) and missing cells (`#na#`) are
 * skipped; a row with any other text is no row. Header names are split on `|`, tabs or two
 * spaces (`Train Loss` is one name), rows on `|` or any whitespace.
 *
 * A table lasts until a line with words that is not one of its rows; lines without words
 * (progress bars, blank lines, rules) do not end it.
 */

export interface TableRow {
  pairs: PrintedPair[];
  step: number | null;
}

type Header = { kind: 'columns'; names: string[]; pipes: boolean } | { kind: 'named-rows'; width: number };

const STEP_COLUMN = /^(?:iter|iteration|epoch|step|global_step|round|it)$/i;
const COLUMN_NAME = /^[A-Za-z#][\w .%/#()@'-]*$/;
const MAX_NAME_WORDS = 4;
const MAX_NAME_LENGTH = 40;
/** `Test metric` / `Validate metric` over `DataLoader 0` columns. */
const RESULTS_NAME = /^(?:test|validate|validation|predict) metric$/i;
const DATALOADER_COLUMN = /^DataLoader \d+$/;
const ROW_NAME = /^[A-Za-z_][\w./-]*$/;
const RULE = /^(?=.*[-─━═]{3})[\s|:+=─━═-]+$/;
const MISSING = new Set(['#na#', '-', '—', 'n/a', 'none']);

export class TableReader {
  private header: Header | null = null;

  /** The metrics of a table row, or null for any other line (which then is read as text). */
  read(line: string): TableRow | null {
    if (line.trim() === '' || RULE.test(line)) return null;
    if (this.header) {
      const row = this.header.kind === 'columns' ? columnsRow(this.header, line) : namedRow(this.header, line);
      if (row) return row;
    }
    const header = parseHeader(line);
    if (header) this.header = header;
    else if (countWords(line) > 0) this.header = null;
    return null;
  }
}

function cellsOf(line: string, pipes: boolean, names: boolean): string[] {
  if (!pipes) return line.trim().split(names ? /\t+|\s{2,}/ : /\s+/);
  const cells = line.split('|').map((cell) => cell.trim());
  if (cells[0] === '') cells.shift();
  if (cells.at(-1) === '') cells.pop();
  return cells;
}

function parseHeader(line: string): Header | null {
  const pipes = line.includes('|');
  const names = cellsOf(line, pipes, true);
  if (names.length < 2) return null;
  if (!pipes && RESULTS_NAME.test(names[0] ?? '') && names.slice(1).every((name) => DATALOADER_COLUMN.test(name))) {
    return { kind: 'named-rows', width: names.length };
  }
  const valid = names.every(
    (name) => COLUMN_NAME.test(name) && name.length <= MAX_NAME_LENGTH && name.split(/\s+/).length <= MAX_NAME_WORDS,
  );
  if (!valid) return null;
  const tabular = names.some((name) => STEP_COLUMN.test(name) || namesMeasure(name.split(/\s+/)));
  return tabular ? { kind: 'columns', names, pipes } : null;
}

function columnsRow(header: Extract<Header, { kind: 'columns' }>, line: string): TableRow | null {
  const cells = cellsOf(line, header.pipes, false);
  if (cells.length !== header.names.length) return null;
  const pairs: PrintedPair[] = [];
  let step: number | null = null;
  for (const [i, cell] of cells.entries()) {
    const name = header.names[i] ?? '';
    const value = wholeNumber(cell);
    if (value === null) {
      if (DURATION.test(cell) || CLOCK.test(cell) || MISSING.has(cell.toLowerCase())) continue;
      return null;
    }
    if (step === null && STEP_COLUMN.test(name) && Number.isInteger(value) && value >= 0) {
      step = value;
      continue;
    }
    pairs.push({ ...metricName(name), value });
  }
  return pairs.length > 0 ? { pairs, step } : null;
}

function namedRow(header: Extract<Header, { kind: 'named-rows' }>, line: string): TableRow | null {
  const cells = line.trim().split(/\s+/);
  if (cells.length < 2 || cells.length > header.width || !ROW_NAME.test(cells[0] ?? '')) return null;
  const values = cells.slice(1).map(wholeNumber);
  const value = values[0];
  if (values.length !== 1 || value === null || value === undefined) return null;
  return { pairs: [{ key: cells[0] ?? '', value }], step: null };
}
