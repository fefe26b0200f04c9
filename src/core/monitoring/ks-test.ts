import { kolmogorovSf } from './kolmogorov';

/**
 * The two-sample Kolmogorov–Smirnov test as `scipy.stats.ks_2samp(a, b)` runs it by default
 * (two-sided, method "auto"): the exact p-value when neither sample has more than 10,000 values,
 * else (or when the exact computation is out of floating-point range) the asymptotic one. Like SciPy,
 * the exact method reports the statistic rounded to the lattice h / lcm(n1, n2) it counts paths on.
 */
export interface KsResult {
  statistic: number;
  pValue: number;
  method: 'exact' | 'asymp';
}

const MAX_AUTO_N = 10_000;

/**
 * The largest distance between the two empirical CDFs. The live sample needs no sorting: counting its
 * values below and at each distinct reference value gives every distance SciPy evaluates that can be
 * the largest, in the same expression (count/n1 − count/n2), so the result is bit for bit its own.
 * Between two reference values the reference CDF is flat and the live one only rises, so there the
 * distance is extreme at the reference value before (already counted) or at the last live value.
 */
export function ksStatistic(referenceSorted: Float64Array, live: Float64Array): number {
  const n1 = referenceSorted.length;
  const n2 = live.length;
  const distinct: number[] = [];
  const atOrBelow: number[] = [];
  for (let i = 0; i < n1; i++) {
    const value = referenceSorted[i]!;
    if (distinct.length === 0 || value !== distinct[distinct.length - 1]) {
      distinct.push(value);
      atOrBelow.push(i + 1);
    } else atOrBelow[atOrBelow.length - 1] = i + 1;
  }
  const k = distinct.length;
  const equal = new Float64Array(k);
  const between = new Float64Array(k + 1);
  for (let i = 0; i < n2; i++) {
    const value = live[i]!;
    let lo = 0;
    let hi = k;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (distinct[mid]! < value) lo = mid + 1;
      else hi = mid;
    }
    if (lo < k && distinct[lo] === value) equal[lo]!++;
    else between[lo]!++;
  }
  // Both CDFs reach 1 at the largest value: a distance of 0 is always among them.
  let max = 0;
  let min = 0;
  let liveSoFar = 0;
  for (let i = 0; i < k; i++) {
    liveSoFar += between[i]!;
    if (between[i]! > 0) {
      const diff = (i === 0 ? 0 : atOrBelow[i - 1]!) / n1 - liveSoFar / n2;
      if (diff < min) min = diff;
    }
    liveSoFar += equal[i]!;
    const diff = atOrBelow[i]! / n1 - liveSoFar / n2;
    if (diff > max) max = diff;
    if (diff < min) min = diff;
  }
  const minS = Math.min(Math.max(-min, 0), 1);
  return minS > max ? minS : max;
}

/** numpy.round: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y) [x, y] = [y, x % y];
  return x;
}

/** Pr(D_{n,n} ≥ h/n) for equal sample sizes, by Hodges' Horner-like sum. */
function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
  }
  return 2 * P;
}

/**
 * The share of lattice paths from (0, 0) to (m, n) that leave the band |x/m − y/n| < h/lcm(m, n),
 * by Viehmann's recursion for 1 − p in Hodges' inside method (SciPy's _compute_outer_prob_inside_method).
 */
function probOutsideBand(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj]! * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, Math.min(lenA, maxj - minj + (lastlen - curlen)));
  }
  return A[maxj - minj - 1]!;
}

/** A sorted reference sample and a live one in any order, neither with NaN, each with at least one value. */
export function ksTwoSample(referenceSorted: Float64Array, live: Float64Array): KsResult {
  const n1 = referenceSorted.length;
  const n2 = live.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('the KS test needs two non-empty samples');
  let d = ksStatistic(referenceSorted, live);
  if (Math.max(n1, n2) <= MAX_AUTO_N) {
    const g = gcd(n1, n2);
    const lcm = (n1 / g) * n2;
    const h = roundHalfEven(d * lcm);
    d = h / lcm;
    if (h === 0) return { statistic: d, pValue: 1, method: 'exact' };
    const prob = n1 === n2 ? probOutsideSquare(n1, h) : probOutsideBand(n1, n2, g, h);
    if (prob >= 0 && prob <= 1) return { statistic: d, pValue: prob, method: 'exact' };
  }
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
  const en = (m * n) / (m + n);
  const pValue = kolmogorovSf(roundHalfEven(en), d);
  return { statistic: d, pValue: Math.min(Math.max(pValue, 0), 1), method: 'asymp' };
}
