import { readTarEntries, type TarEntry } from './tar-archive';

/**
 * Reads the prediction logs serve.py writes (one JSON object per line: `ts`, `version`, `inputs`
 * as Open Inference Protocol tensors, `outputs`) into one column per input feature. Like the run
 * folder's readers, it tolerates a torn last line and bad lines: they are counted and skipped.
 *
 * Lines are checked by hand rather than through a schema: a drift report reads a hundred thousand
 * of them, and what a line must hold is small (a time, a version, tensors of numbers or strings).
 */

export type FeatureValue = number | string | null;

/** One feature's values, one per logged row: numbers in a Float64Array while every value is one. */
export type FeatureColumn = Float64Array | FeatureValue[];

export interface LiveSample {
  /** Feature names from the first logged request: `<tensor>[<column>]`, by position. */
  features: string[];
  columns: FeatureColumn[];
  rows: number;
  /** Logged requests in the sample (a request may carry several rows). */
  requests: number;
  /** Lines that were not a logged request. */
  malformed: number;
  /** Requests whose inputs had another layout than the first one's. */
  mismatched: number;
  /** Requests per model version. */
  versions: Record<string, number>;
  /** Seconds since the epoch of the first and last request in the sample. */
  from: number | null;
  to: number | null;
}

export interface LiveSampleOptions {
  /** Only requests at or after this time (seconds since the epoch). */
  since?: number;
  /** Only requests a version answered (a digest). */
  version?: string;
}

interface Tensor {
  name: string;
  shape: number[];
  data: unknown[];
}

function isTensor(value: unknown): value is Tensor {
  if (typeof value !== 'object' || value === null) return false;
  const { name, shape, data } = value as Record<string, unknown>;
  return (
    typeof name === 'string' &&
    Array.isArray(shape) &&
    Array.isArray(data) &&
    shape.every((d) => Number.isInteger(d) && (d as number) >= 0)
  );
}

function flatten(data: unknown[], into: FeatureValue[]): boolean {
  for (const item of data) {
    if (Array.isArray(item)) {
      if (!flatten(item, into)) return false;
    } else if (typeof item === 'number' || typeof item === 'string') into.push(item);
    else if (typeof item === 'boolean') into.push(item ? 1 : 0);
    else if (item === null) into.push(null);
    else return false;
  }
  return true;
}

const INPUTS_KEY = ',"inputs":';
const OUTPUTS_KEY = ',"outputs":';
const TS_KEY = '"ts":';
const VERSION_KEY = '"version":"';

/**
 * One line, without parsing what a drift report does not read. serve.py writes a line's keys in one
 * order (`v`, `ts`, `id`, `model`, `version`, `latency_ms`, `inputs`, `outputs`) and a quote inside a
 * JSON string is always escaped, so those keys can be found by their text: only the inputs go
 * through JSON.parse, and the outputs (often as big as the inputs) are skipped. Any line in another
 * form is parsed whole.
 */
function parseLoggedRequest(line: string): Record<string, unknown> | null {
  const inputsAt = line.indexOf(INPUTS_KEY);
  const outputsAt = line.lastIndexOf(OUTPUTS_KEY);
  const tsAt = line.indexOf(TS_KEY);
  const versionAt = line.indexOf(VERSION_KEY);
  if (line.startsWith('{"v":1,') && line.endsWith('}') && tsAt > 0 && versionAt > tsAt && inputsAt > versionAt) {
    const ts = Number(line.slice(tsAt + TS_KEY.length, line.indexOf(',', tsAt)));
    const version = line.slice(versionAt + VERSION_KEY.length, line.indexOf('"', versionAt + VERSION_KEY.length));
    if (outputsAt > inputsAt && Number.isFinite(ts) && !version.includes('\\')) {
      try {
        return { ts, version, inputs: JSON.parse(line.slice(inputsAt + INPUTS_KEY.length, outputsAt)) as unknown };
      } catch {
        // Not the layout serve.py writes after all: read it whole.
      }
    }
  }
  try {
    const record = JSON.parse(line) as unknown;
    return typeof record === 'object' && record !== null ? (record as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** A tensor's rows and the width of each row: [rows, a, b…] is rows × (a·b…); a vector is one row. */
function layoutOf(tensor: Tensor): { rows: number; width: number } {
  if (tensor.shape.length <= 1) return { rows: 1, width: tensor.shape[0] ?? 1 };
  return { rows: tensor.shape[0]!, width: tensor.shape.slice(1).reduce((a, b) => a * b, 1) };
}

/** Rotated files oldest first (`x.jsonl.2`, `x.jsonl.1`, `x.jsonl`), each instance's files together. */
export function orderLogFiles(entries: TarEntry[]): TarEntry[] {
  const rank = (name: string) => {
    const match = /\.jsonl(?:\.(\d+))?$/.exec(name);
    return match ? Number(match[1] ?? 0) : -1;
  };
  const base = (name: string) => name.replace(/\.jsonl(?:\.\d+)?$/, '');
  return entries
    .filter((e) => rank(e.name) >= 0)
    .sort((a, b) => (base(a.name) < base(b.name) ? -1 : base(a.name) > base(b.name) ? 1 : rank(b.name) - rank(a.name)));
}

/**
 * Collects one feature's values. Numbers go into a growing Float64Array (a hundred thousand rows
 * × twenty features is two million values, which boxed in arrays cost most of a report's time);
 * the first value that is not a number turns the column into a plain array.
 */
class ColumnBuilder {
  private numbers = new Float64Array(1024);
  private values: FeatureValue[] | null = null;
  private length = 0;

  push(value: FeatureValue): void {
    if (this.values === null && typeof value === 'number') {
      if (this.length === this.numbers.length) {
        const grown = new Float64Array(this.numbers.length * 2);
        grown.set(this.numbers);
        this.numbers = grown;
      }
      this.numbers[this.length++] = value;
      return;
    }
    this.values ??= Array.from(this.numbers.subarray(0, this.length));
    this.values.push(value);
    this.length++;
  }

  build(): FeatureColumn {
    return this.values ?? this.numbers.slice(0, this.length);
  }
}

export class LiveSampleBuilder {
  private layout: { name: string; width: number }[] | null = null;
  private builders: ColumnBuilder[] = [];
  private readonly sample: LiveSample = {
    features: [],
    columns: [],
    rows: 0,
    requests: 0,
    malformed: 0,
    mismatched: 0,
    versions: {},
    from: null,
    to: null,
  };

  constructor(private readonly options: LiveSampleOptions = {}) {}

  /** Adds the complete lines of one log file; a last line without its newline is still being written. */
  addFile(content: Buffer): void {
    const end = content.lastIndexOf(0x0a) + 1;
    for (const line of content.subarray(0, end).toString('utf8').split('\n')) {
      if (line.length > 0) this.addLine(line);
    }
  }

  addLine(line: string): void {
    const record = parseLoggedRequest(line);
    const { ts, version, inputs } = record ?? {};
    const tensors = Array.isArray(inputs) ? inputs : [];
    if (typeof ts !== 'number' || typeof version !== 'string' || tensors.length === 0 || !tensors.every(isTensor)) {
      this.sample.malformed++;
      return;
    }
    if (this.options.since !== undefined && ts < this.options.since) return;
    if (this.options.version !== undefined && version !== this.options.version) return;
    this.addRequest(ts, version, tensors as Tensor[]);
  }

  /**
   * A request's rows into the columns. This runs once per logged request (a hundred thousand times
   * for one report), so the usual layout — flat numbers that fit the shape — is taken as it is.
   */
  private addRequest(ts: number, version: string, tensors: Tensor[]): void {
    const layouts = tensors.map(layoutOf);
    const rows = layouts[0]!.rows;
    const values: unknown[][] = [];
    for (let t = 0; t < tensors.length; t++) {
      const { data } = tensors[t]!;
      const expected = layouts[t]!.rows * layouts[t]!.width;
      const flatNumbers = data.length === expected && data.every((v) => typeof v === 'number');
      let flat: FeatureValue[] | null = flatNumbers ? (data as number[]) : [];
      if (!flatNumbers && !flatten(data, flat!)) flat = null;
      if (flat === null || layouts[t]!.rows !== rows || flat.length !== expected) {
        this.sample.malformed++;
        return;
      }
      values.push(flat);
    }
    if (this.layout === null) this.start(tensors, layouts);
    const layout = this.layout!;
    if (
      layout.length !== tensors.length ||
      layout.some((l, i) => l.name !== tensors[i]!.name || l.width !== layouts[i]!.width)
    ) {
      this.sample.mismatched++;
      return;
    }
    const builders = this.builders;
    for (let row = 0; row < rows; row++) {
      let column = 0;
      for (let t = 0; t < layouts.length; t++) {
        const flat = values[t]!;
        const width = layouts[t]!.width;
        for (let j = 0; j < width; j++) builders[column++]!.push(flat[row * width + j] as FeatureValue);
      }
    }
    this.sample.rows += rows;
    this.sample.requests++;
    this.sample.versions[version] = (this.sample.versions[version] ?? 0) + 1;
    this.sample.from = this.sample.from === null ? ts : Math.min(this.sample.from, ts);
    this.sample.to = this.sample.to === null ? ts : Math.max(this.sample.to, ts);
  }

  private start(tensors: Tensor[], layouts: { width: number }[]): void {
    this.layout = tensors.map((t, i) => ({ name: t.name, width: layouts[i]!.width }));
    for (const layout of this.layout) {
      for (let j = 0; j < layout.width; j++) {
        this.sample.features.push(`${layout.name}[${j}]`);
        this.builders.push(new ColumnBuilder());
      }
    }
  }

  build(): LiveSample {
    return { ...this.sample, columns: this.builders.map((b) => b.build()) };
  }
}

/** The live sample of a deployment from the tar archive of its prediction-log folder. */
export function liveSampleFromArchive(archive: Buffer, options: LiveSampleOptions = {}): LiveSample {
  const builder = new LiveSampleBuilder(options);
  for (const entry of orderLogFiles(readTarEntries(archive))) builder.addFile(entry.data);
  return builder.build();
}
