/**
 * Pearson's χ² test of a contingency table, as `scipy.stats.chi2_contingency(table)` runs it by
 * default: expected counts from the margins, Yates' continuity correction when there is one degree of
 * freedom, and the p-value from the regularized upper incomplete gamma function.
 */
export interface ChiSquareResult {
  statistic: number;
  pValue: number;
  dof: number;
}

const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const EPSILON = 2 ** -53;
const MAX_ITERATIONS = 10_000;

/** ln Γ(x) for x > 0 (Lanczos, g = 7: about 15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i]! / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

function prefactor(a: number, x: number): number {
  return Math.exp(a * Math.log(x) - x - logGamma(a));
}

/** P(a, x) by its power series; converges fast for x < a + 1. */
function lowerSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < MAX_ITERATIONS; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPSILON) break;
  }
  return sum * prefactor(a, x);
}

/** Q(a, x) by its continued fraction (modified Lentz); converges fast for x > a + 1. */
function upperFraction(a: number, x: number): number {
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return h * prefactor(a, x);
}

/** The regularized upper incomplete gamma function Q(a, x) (scipy.special.gammaincc). */
export function upperIncompleteGamma(a: number, x: number): number {
  if (!(a > 0) || x < 0 || Number.isNaN(x)) return Number.NaN;
  if (x === 0) return 1;
  if (!Number.isFinite(x)) return 0;
  return x < a + 1 ? 1 - lowerSeries(a, x) : upperFraction(a, x);
}

/** The χ² survival function with `dof` degrees of freedom (scipy.stats.chi2.sf). */
export function chiSquareSf(statistic: number, dof: number): number {
  return upperIncompleteGamma(dof / 2, statistic / 2);
}

/**
 * The test of a table of counts, rows × columns; every row and every column needs a count above 0
 * (SciPy refuses a table whose expected counts hold a zero).
 */
export function chiSquareContingency(table: readonly (readonly number[])[]): ChiSquareResult {
  const rows = table.length;
  const cols = table[0]?.length ?? 0;
  const rowSums = table.map((row) => row.reduce((s, v) => s + v, 0));
  const colSums = Array.from({ length: cols }, (_, c) => table.reduce((s, row) => s + row[c]!, 0));
  const total = rowSums.reduce((s, v) => s + v, 0);
  if (rowSums.some((s) => s === 0) || colSums.some((s) => s === 0)) {
    throw new RangeError('a contingency table needs counts in every row and column');
  }
  const dof = (rows - 1) * (cols - 1);
  if (dof === 0) return { statistic: 0, pValue: 1, dof };
  let statistic = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const expected = (rowSums[r]! * colSums[c]!) / total;
      let observed = table[r]![c]!;
      if (dof === 1) {
        const diff = expected - observed;
        observed += Math.sign(diff) * Math.min(0.5, Math.abs(diff));
      }
      statistic += (observed - expected) ** 2 / expected;
    }
  }
  return { statistic, pValue: chiSquareSf(statistic, dof), dof };
}
