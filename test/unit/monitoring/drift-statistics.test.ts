import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { chiSquareContingency } from '../../../src/core/monitoring/chi-square';
import { numericDrift, presentValues, psiEdges, sortedPresent } from '../../../src/core/monitoring/drift';
import { kolmogorovSf } from '../../../src/core/monitoring/kolmogorov';
import { ksTwoSample } from '../../../src/core/monitoring/ks-test';
import { SYSTEM_PYTHON } from '../../fixtures/deploy/trained-models';
import { SeededRandom, sample } from '../../fixtures/monitoring/samples';

/**
 * The drift statistics against SciPy and NumPy on the very same samples: Debian's Python with
 * python3-scipy computes ks_2samp, kstwo.sf, chi2_contingency and the numpy form of PSI, and every
 * figure here must agree with it.
 */

interface PairCase {
  label: string;
  reference: number[];
  live: number[];
}

const random = new SeededRandom(20261203);
const normal = (mean: number, sd: number) => () => random.normal(mean, sd);
const digitLike = (shift: number) => () => Math.min(16, random.integer(17) + shift);

const pairs: PairCase[] = [
  ['small, unequal sizes', 40, 70, normal(0, 1), normal(0.3, 1)],
  ['equal sizes, exact square method', 300, 300, normal(0, 1), normal(0.2, 1)],
  ['same distribution, exact', 2000, 5000, normal(5, 2), normal(5, 2)],
  ['exponential vs shifted', 1500, 800, () => random.exponential(1), () => random.exponential(0.8)],
  ['ties: small integers like pixel values', 1797, 900, digitLike(0), digitLike(0)],
  ['ties, shifted', 1797, 900, digitLike(0), digitLike(2)],
  ['asymptotic: live over 10,000 rows', 3000, 12000, normal(0, 1), normal(0.02, 1)],
  ['asymptotic: large shift', 10001, 10001, normal(0, 1), normal(0.5, 1)],
  ['asymptotic: no shift, big samples', 20000, 15000, () => random.next(), () => random.next()],
  ['constant column, same constant', 500, 300, () => 0, () => 0],
  ['constant column, live moved', 500, 300, () => 0, () => 1],
].map(([label, n1, n2, a, b]) => ({
  label: label as string,
  reference: Array.from(sample(n1 as number, a as () => number)),
  live: Array.from(sample(n2 as number, b as () => number)),
}));

/** The one-sample distribution over every branch SciPy's kolmogn takes (Durbin, Pomeranz, Pelz–Good, Smirnov). */
const kstwoPoints: [number, number][] = [
  [5, 0.15],
  [5, 0.3],
  [10, 0.25],
  [50, 0.1],
  [50, 0.2],
  [50, 0.35],
  [140, 0.05],
  [140, 0.12],
  [141, 0.05],
  [141, 0.1],
  [141, 0.13],
  [1000, 0.02],
  [1000, 0.04],
  [1000, 0.05],
  [1000, 0.1],
  [5000, 0.004],
  [5000, 0.02],
  [20000, 0.006],
  [20000, 0.011],
  [2, 0.6],
  [30, 0.7],
];

const tables: number[][][] = [
  [
    [30, 12],
    [25, 20],
  ],
  [
    [120, 80, 40, 10, 3],
    [100, 95, 30, 20, 1],
  ],
  [
    [5, 0],
    [3, 2],
  ],
  [Array.from({ length: 30 }, (_, i) => 50 + i * 3), Array.from({ length: 30 }, (_, i) => 60 + ((i * 7) % 11))],
  [
    [100000, 1],
    [99000, 1200],
  ],
];

const scipyScript = String.raw`
import json, sys
import numpy as np
from scipy import stats
data = json.load(sys.stdin)
out = {"pairs": [], "kstwo": [], "chi2": []}
for pair in data["pairs"]:
    ref = np.array(pair["reference"], dtype=float)
    live = np.array(pair["live"], dtype=float)
    ks = stats.ks_2samp(ref, live)
    edges = np.unique(np.quantile(np.sort(ref), np.arange(1, 10) / 10))
    rc = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=len(edges) + 1) / len(ref)
    lc = np.bincount(np.searchsorted(edges, live, side="left"), minlength=len(edges) + 1) / len(live)
    rc = np.where(rc == 0, data["epsilon"], rc)
    lc = np.where(lc == 0, data["epsilon"], lc)
    psi = float(np.sum((lc - rc) * np.log(lc / rc)))
    out["pairs"].append({"statistic": float(ks.statistic), "pvalue": float(ks.pvalue), "edges": edges.tolist(), "psi": psi})
for n, x in data["kstwo"]:
    out["kstwo"].append(float(stats.kstwo.sf(x, n)))
for table in data["chi2"]:
    chi2, p, dof, _ = stats.chi2_contingency(np.array(table))
    out["chi2"].append({"statistic": float(chi2), "pvalue": float(p), "dof": int(dof)})
print(json.dumps(out))
`;

interface ScipyAnswers {
  pairs: { statistic: number; pvalue: number; edges: number[]; psi: number }[];
  kstwo: number[];
  chi2: { statistic: number; pvalue: number; dof: number }[];
}

function scipyAnswers(): ScipyAnswers {
  const input = JSON.stringify({ pairs, kstwo: kstwoPoints, chi2: tables, epsilon: 1e-4 });
  return JSON.parse(
    execFileSync(SYSTEM_PYTHON, ['-c', scipyScript], { input, encoding: 'utf8', maxBuffer: 64 << 20 }),
  ) as ScipyAnswers;
}

function assertClose(actual: number, expected: number, relative: number, label: string): void {
  const scale = Math.max(Math.abs(expected), Number.MIN_VALUE);
  assert.ok(
    actual === expected || Math.abs(actual - expected) / scale <= relative,
    `${label}: ${actual} vs SciPy ${expected} (relative ${Math.abs(actual - expected) / scale})`,
  );
}

describe('drift statistics agree with SciPy on the same samples', () => {
  const answers = scipyAnswers();

  it('KS two-sample: the statistic exactly and the p-value of ks_2samp to 1e-6 relative, exact and asymptotic', () => {
    const methods = new Set<string>();
    pairs.forEach((pair, i) => {
      const expected = answers.pairs[i]!;
      const result = ksTwoSample(sortedPresent(pair.reference).values, presentValues(pair.live).values);
      methods.add(result.method);
      assert.equal(result.statistic, expected.statistic, `${pair.label}: statistic`);
      assertClose(result.pValue, expected.pvalue, 1e-6, `${pair.label}: p-value (${result.method})`);
    });
    assert.deepEqual([...methods].sort(), ['asymp', 'exact'], 'both of ks_2samp methods were exercised');
  });

  it('the Kolmogorov distribution kstwo.sf over all its computation branches', () => {
    kstwoPoints.forEach(([n, x], i) =>
      assertClose(kolmogorovSf(n, x), answers.kstwo[i]!, 1e-6, `kstwo.sf(${x}, ${n})`),
    );
  });

  it('PSI over ten quantile bins of the reference, as numpy computes it, to 1e-9', () => {
    pairs.forEach((pair, i) => {
      const expected = answers.pairs[i]!;
      const reference = sortedPresent(pair.reference);
      assert.deepEqual(psiEdges(reference.values), expected.edges, `${pair.label}: bin edges`);
      const drift = numericDrift(pair.label, reference, presentValues(pair.live));
      assert.ok(
        Math.abs(drift.psi.value - expected.psi) <= 1e-9,
        `${pair.label}: PSI ${drift.psi.value} vs ${expected.psi}`,
      );
    });
  });

  it('χ² of the 2×k contingency table: statistic, degrees of freedom and p-value of chi2_contingency', () => {
    tables.forEach((table, i) => {
      const expected = answers.chi2[i]!;
      const result = chiSquareContingency(table);
      assert.equal(result.dof, expected.dof);
      assertClose(result.statistic, expected.statistic, 1e-12, `table ${i}: statistic`);
      assertClose(result.pValue, expected.pvalue, 1e-9, `table ${i}: p-value`);
    });
  });

  it('says which bins were empty when a constant column moves, and flags it', () => {
    const constant = pairs.find((p) => p.label === 'constant column, live moved')!;
    const drift = numericDrift('c', sortedPresent(constant.reference), presentValues(constant.live));
    assert.deepEqual(drift.psi.bins, [0], 'one edge: every decile of a constant is the constant');
    assert.deepEqual(drift.psi.emptyBins, { reference: [1], live: [0] });
    assert.equal(drift.psi.level, 'alert');
    assert.equal(drift.drifted, true);
  });
});
