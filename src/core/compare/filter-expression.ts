import { cellAccessor, compareCells, resolveColumn, type CellValue, type Column } from './columns';
import type { CompareRow, CompareTable, MetricAggregate } from '../../protocol/compare';
import { UserError } from '../user-error';

/**
 * The table's expression filter: `lr > 0.01 and status = finished`, `not (optimizer = sgd or loss.min >= 0.5)`,
 * `name ~ baseline`. Names are run fields (name, status, experiment, commit, start, duration, id), then
 * params, then metrics (their last value; `loss.min` / `loss.max` for the others). Values are numbers,
 * quoted strings or bare words. `~` is a case-insensitive "contains".
 */

export type ComparisonOperator = '=' | '!=' | '<' | '<=' | '>' | '>=' | '~';

export type FilterExpression =
  | { kind: 'and' | 'or'; left: FilterExpression; right: FilterExpression }
  | { kind: 'not'; operand: FilterExpression }
  | { kind: 'compare'; name: string; operator: ComparisonOperator; value: string | number };

export class FilterSyntaxError extends UserError {
  constructor(
    readonly reason: 'unexpected-token' | 'unterminated-string' | 'missing-value' | 'missing-parenthesis' | 'empty',
    /** Character offset in the expression where the problem is. */
    readonly position: number,
    message: string,
  ) {
    super(message);
    this.name = 'FilterSyntaxError';
  }
}

type Token =
  | { type: 'word'; text: string; position: number; quoted: boolean }
  | { type: 'number'; value: number; text: string; position: number }
  | { type: 'operator'; operator: ComparisonOperator; position: number }
  | { type: '(' | ')'; position: number };

/** Longest first, so `<=` is not read as `<` then `=`; `==` is accepted for `=`. */
const OPERATORS: readonly (readonly [string, ComparisonOperator])[] = [
  ['==', '='],
  ['!=', '!='],
  ['<=', '<='],
  ['>=', '>='],
  ['=', '='],
  ['<', '<'],
  ['>', '>'],
  ['~', '~'],
];
const NUMBER = /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')') {
      tokens.push({ type: c, position: i });
      i++;
      continue;
    }
    const operator = OPERATORS.find(([text]) => source.startsWith(text, i));
    if (operator) {
      tokens.push({ type: 'operator', operator: operator[1], position: i });
      i += operator[0].length;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      const end = source.indexOf(c, i + 1);
      if (end < 0)
        throw new FilterSyntaxError('unterminated-string', i, `the text starting at ${i + 1} has no closing ${c}`);
      tokens.push({ type: 'word', text: source.slice(i + 1, end), position: i, quoted: true });
      i = end + 1;
      continue;
    }
    let end = i;
    while (end < source.length && !/[\s()=!<>~]/.test(source[end] as string)) end++;
    if (end === i) throw new FilterSyntaxError('unexpected-token', i, `unexpected "${c}" at ${i + 1}`);
    const text = source.slice(i, end);
    if (NUMBER.test(text)) tokens.push({ type: 'number', value: Number(text), text, position: i });
    else tokens.push({ type: 'word', text, position: i, quoted: false });
    i = end;
  }
  return tokens;
}

function isKeyword(token: Token | undefined, keyword: 'and' | 'or' | 'not'): boolean {
  return token?.type === 'word' && !token.quoted && token.text.toLowerCase() === keyword;
}

/** Parses an expression; throws {@link FilterSyntaxError} with the position of the first problem. */
export function parseFilter(source: string): FilterExpression {
  const tokens = tokenize(source);
  if (tokens.length === 0) throw new FilterSyntaxError('empty', 0, 'the filter is empty');
  let at = 0;
  const peek = () => tokens[at];
  const endPosition = source.length;

  function parseOr(): FilterExpression {
    let left = parseAnd();
    while (isKeyword(peek(), 'or')) {
      at++;
      left = { kind: 'or', left, right: parseAnd() };
    }
    return left;
  }
  function parseAnd(): FilterExpression {
    let left = parseNot();
    while (isKeyword(peek(), 'and')) {
      at++;
      left = { kind: 'and', left, right: parseNot() };
    }
    return left;
  }
  function parseNot(): FilterExpression {
    if (isKeyword(peek(), 'not')) {
      at++;
      return { kind: 'not', operand: parseNot() };
    }
    return parsePrimary();
  }
  function parsePrimary(): FilterExpression {
    const token = peek();
    if (token?.type === '(') {
      at++;
      const inner = parseOr();
      const close = peek();
      if (close?.type !== ')') {
        throw new FilterSyntaxError('missing-parenthesis', close?.position ?? endPosition, 'a "(" is never closed');
      }
      at++;
      return inner;
    }
    if (token?.type !== 'word') {
      throw new FilterSyntaxError(
        'unexpected-token',
        token?.position ?? endPosition,
        token ? `expected a column name at ${token.position + 1}` : 'expected a column name at the end',
      );
    }
    at++;
    const operator = peek();
    if (operator?.type !== 'operator') {
      throw new FilterSyntaxError(
        'unexpected-token',
        operator?.position ?? endPosition,
        `expected =, !=, <, <=, >, >= or ~ after "${token.text}"`,
      );
    }
    at++;
    const value = peek();
    if (value?.type === 'number') {
      at++;
      return { kind: 'compare', name: token.text, operator: operator.operator, value: value.value };
    }
    if (value?.type === 'word' && (value.quoted || !['and', 'or', 'not'].includes(value.text.toLowerCase()))) {
      at++;
      return { kind: 'compare', name: token.text, operator: operator.operator, value: value.text };
    }
    throw new FilterSyntaxError(
      'missing-value',
      value?.position ?? endPosition,
      `expected a value after "${token.text} ${operator.operator}"`,
    );
  }

  const expression = parseOr();
  const rest = peek();
  if (rest) {
    throw new FilterSyntaxError(
      rest.type === ')' ? 'missing-parenthesis' : 'unexpected-token',
      rest.position,
      rest.type === ')' ? `a ")" at ${rest.position + 1} has no "("` : `expected "and" or "or" at ${rest.position + 1}`,
    );
  }
  return expression;
}

const NAME_ALIASES: Record<string, string> = { created: 'start', started: 'start', git: 'commit' };

/** The column a name in an expression refers to, or null when no column has it. */
export function columnForName(table: CompareTable, name: string): Column | null {
  const lower = name.toLowerCase();
  const field = NAME_ALIASES[lower] ?? lower;
  const asField = resolveColumn(field);
  if (asField?.kind === 'field') return asField;
  const bare = name.replace(/^(params?|metrics?)\./, '');
  if (table.paramKeys.includes(bare) && !/^metrics?\./.test(name)) return resolveColumn(`param:${bare}`);
  if (table.metricKeys.includes(bare)) return resolveColumn(`metric:${bare}`, 'last');
  const suffix = /^(.*)\.(last|min|max)$/.exec(bare);
  if (suffix && table.metricKeys.includes(suffix[1] as string)) {
    return resolveColumn(`metric:${suffix[1] as string}`, suffix[2] as MetricAggregate);
  }
  return null;
}

/** Names in the expression that match no column (shown to the user as a hint, not an error). */
export function unknownNames(table: CompareTable, expression: FilterExpression): string[] {
  const names = new Set<string>();
  const visit = (e: FilterExpression): void => {
    if (e.kind === 'compare') {
      if (e.name.toLowerCase() !== 'id' && !columnForName(table, e.name)) names.add(e.name);
    } else if (e.kind === 'not') visit(e.operand);
    else {
      visit(e.left);
      visit(e.right);
    }
  };
  visit(expression);
  return [...names];
}

/** Compiles the expression against the table's columns into a row predicate. */
export function compileFilter(table: CompareTable, expression: FilterExpression): (row: CompareRow) => boolean {
  switch (expression.kind) {
    case 'and': {
      const left = compileFilter(table, expression.left);
      const right = compileFilter(table, expression.right);
      return (row) => left(row) && right(row);
    }
    case 'or': {
      const left = compileFilter(table, expression.left);
      const right = compileFilter(table, expression.right);
      return (row) => left(row) || right(row);
    }
    case 'not': {
      const operand = compileFilter(table, expression.operand);
      return (row) => !operand(row);
    }
    case 'compare': {
      const column = columnForName(table, expression.name);
      const read: (row: CompareRow) => CellValue =
        expression.name.toLowerCase() === 'id' ? (row) => row.id : column ? cellAccessor(table, column) : () => null;
      const { operator, value } = expression;
      return (row) => compareValue(read(row), operator, value);
    }
  }
}

function compareValue(cell: CellValue, operator: ComparisonOperator, wanted: string | number): boolean {
  if (operator === '~') return cell !== null && String(cell).toLowerCase().includes(String(wanted).toLowerCase());
  if (cell === null) return operator === '!=';
  const numeric = typeof cell === 'number' && typeof wanted === 'number';
  const order = numeric ? (cell as number) - (wanted as number) : textOrder(cell, wanted);
  switch (operator) {
    case '=':
      return order === 0;
    case '!=':
      return order !== 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
  }
}

/** Text compares case-insensitively; a number against text compares by the number's text. */
function textOrder(cell: string | number, wanted: string | number): number {
  if (typeof cell === 'number' && typeof wanted === 'string') {
    const asNumber = Number(wanted);
    if (wanted.trim() !== '' && Number.isFinite(asNumber)) return cell - asNumber;
  }
  return compareCells(String(cell).toLowerCase(), String(wanted).toLowerCase());
}

/** Rows whose text (name, id, experiment, status, commit, branch, params) contains `text`, case-insensitively. */
export function textMatcher(text: string): (row: CompareRow) => boolean {
  const needle = text.trim().toLowerCase();
  if (!needle) return () => true;
  return (row) =>
    row.name.toLowerCase().includes(needle) ||
    row.id.toLowerCase().includes(needle) ||
    row.experiment.toLowerCase().includes(needle) ||
    row.status.includes(needle) ||
    (row.commit?.toLowerCase().startsWith(needle) ?? false) ||
    (row.branch?.toLowerCase().includes(needle) ?? false) ||
    row.params.some((p) => p !== null && String(p).toLowerCase().includes(needle));
}
