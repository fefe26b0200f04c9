/**
 * Exponential moving average as TensorBoard draws it: `weight` in [0, 1), debiased so the first
 * points are not pulled towards zero. NaN and ±Infinity pass through without poisoning later points.
 */
export function emaSmooth(values: readonly number[], weight: number): number[] {
  if (!(weight >= 0 && weight < 1)) throw new RangeError(`smoothing weight must be in [0, 1), got ${weight}`);
  const out: number[] = new Array<number>(values.length);
  let last = 0;
  let finiteSeen = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    finiteSeen++;
    const debias = weight === 0 ? 1 : 1 - Math.pow(weight, finiteSeen);
    out[i] = last / debias;
  }
  return out;
}
