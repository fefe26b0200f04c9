import type { DeploymentRecord } from '../deploy/records';
import type { ServingTarget } from '../deploy/runtime-command';
import {
  DEFAULT_THRESHOLDS,
  categoricalDrift,
  numericDrift,
  presentValues,
  sortedPresent,
  type DriftThresholds,
  type FeatureDrift,
} from './drift';
import { MonitoringError } from './errors';
import { liveSampleFromArchive, type FeatureColumn, type LiveSample } from './prediction-log';
import {
  normalizeCategory,
  readReferenceCsv,
  referenceForDeployment,
  type ReferenceColumn,
  type ReferenceSource,
  type ReferenceTable,
} from './reference';

/** Column names taken for the target, not a feature, when the reference has one column more than the model's input. */
const TARGET_NAMES = ['label', 'target', 'y', 'class'];

export interface DriftReport {
  generatedAt: string;
  deployment: { target: string; name: string; modelVersion: string | null; runId: string | null } | null;
  reference: { path: string; rows: number; changedSinceLogged: boolean | null };
  live: {
    rows: number;
    requests: number;
    malformed: number;
    mismatched: number;
    from: string | null;
    to: string | null;
    versions: Record<string, number>;
  };
  features: FeatureDrift[];
  /** Names of the features whose test says they drifted. */
  driftedFeatures: string[];
  /** driftedFeatures / features. */
  share: number;
  datasetDrift: boolean;
  thresholds: DriftThresholds;
  warnings: string[];
}

export interface CompareOptions {
  /** The reference column that is the model's target, left out of the comparison. */
  targetColumn?: string;
  thresholds?: Partial<DriftThresholds>;
}

/** Pairs the live features (by position) with reference columns, leaving out the target column. */
function featureColumns(reference: ReferenceTable, live: LiveSample, options: CompareOptions, warnings: string[]) {
  let columns = reference.columns;
  if (options.targetColumn !== undefined) {
    if (!columns.some((c) => c.name === options.targetColumn)) {
      throw new MonitoringError('feature-mismatch', `${reference.path} has no column "${options.targetColumn}"`);
    }
    columns = columns.filter((c) => c.name !== options.targetColumn);
  } else if (columns.length === live.features.length + 1) {
    const target = columns.find((c) => TARGET_NAMES.includes(c.name.toLowerCase()));
    if (target) {
      columns = columns.filter((c) => c !== target);
      warnings.push(`left out column "${target.name}" of ${reference.path}: taken for the target, not a feature`);
    }
  }
  if (columns.length !== live.features.length) {
    throw new MonitoringError(
      'feature-mismatch',
      `the deployment was sent ${live.features.length} features per row, but ${reference.path} has ${columns.length} columns` +
        ` (${columns
          .slice(0, 5)
          .map((c) => c.name)
          .join(', ')}${columns.length > 5 ? ', …' : ''})`,
    );
  }
  return columns;
}

function numericValues(values: FeatureColumn): Float64Array {
  if (values instanceof Float64Array) return values;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  }
  return out;
}

function featureDrift(column: ReferenceColumn, live: FeatureColumn, thresholds: DriftThresholds): FeatureDrift | null {
  if (column.kind === 'numeric') {
    const reference = sortedPresent(column.numbers!);
    const current = presentValues(numericValues(live));
    if (reference.values.length === 0 || current.values.length === 0) return null;
    return numericDrift(column.name, reference, current, thresholds);
  }
  const texts = Array.from(live, (v: number | string | null) => (v === null ? null : normalizeCategory(v)));
  if (column.texts!.every((v) => v === null) || texts.every((v) => v === null)) return null;
  return categoricalDrift(column.name, column.texts!, texts, thresholds);
}

const isoOrNull = (seconds: number | null) => (seconds === null ? null : new Date(seconds * 1000).toISOString());

/** The drift of each feature and of the data set, comparing a live sample with reference data. */
export function compareToReference(
  reference: ReferenceTable,
  live: LiveSample,
  options: CompareOptions = {},
): Omit<DriftReport, 'deployment' | 'reference'> & { reference: { path: string; rows: number } } {
  if (live.rows === 0) throw new MonitoringError('no-live-data', 'the prediction log holds no request in that period');
  const thresholds = { ...DEFAULT_THRESHOLDS, ...options.thresholds };
  const warnings: string[] = [];
  const columns = featureColumns(reference, live, options, warnings);
  const features: FeatureDrift[] = [];
  columns.forEach((column, i) => {
    const drift = featureDrift(column, live.columns[i]!, thresholds);
    if (drift) features.push(drift);
    else warnings.push(`feature "${column.name}" has no values on one side and was not compared`);
  });
  const driftedFeatures = features.filter((f) => f.drifted).map((f) => f.name);
  const share = features.length === 0 ? 0 : driftedFeatures.length / features.length;
  if (live.malformed > 0)
    warnings.push(`${live.malformed} line(s) of the prediction log could not be read and were skipped`);
  if (live.mismatched > 0) {
    warnings.push(`${live.mismatched} request(s) had another input layout than the first one and were left out`);
  }
  return {
    generatedAt: new Date().toISOString(),
    reference: { path: reference.path, rows: reference.rows },
    live: {
      rows: live.rows,
      requests: live.requests,
      malformed: live.malformed,
      mismatched: live.mismatched,
      from: isoOrNull(live.from),
      to: isoOrNull(live.to),
      versions: live.versions,
    },
    features,
    driftedFeatures,
    share,
    datasetDrift: features.length > 0 && share >= thresholds.datasetShare,
    thresholds,
    warnings,
  };
}

export interface DeploymentDriftOptions extends CompareOptions {
  /** Only requests at or after this time (seconds since the epoch). */
  since?: number;
  /** Only requests one version answered (a digest), e.g. the canary's. */
  version?: string;
  /** A CSV to compare with instead of the training data the model's run logged. */
  referencePath?: string;
  /** Reference columns that are categories written as numbers. */
  categorical?: string[];
}

/**
 * The drift report of a deployment: its prediction logs (every instance, so both sides of a split)
 * against the training data of the model version it serves, or against `referencePath`.
 */
export async function deploymentDriftReport(
  workspaceRoot: string,
  record: DeploymentRecord,
  target: ServingTarget,
  options: DeploymentDriftOptions = {},
  signal?: AbortSignal,
): Promise<DriftReport> {
  let source: ReferenceSource | null = null;
  let path = options.referencePath;
  if (path === undefined) {
    source = await referenceForDeployment(workspaceRoot, record);
    path = source.absolutePath;
  }
  const reference = await readReferenceCsv(path, options.categorical);
  const archive = await target.readPredictionLogs(record.name, signal);
  const live = liveSampleFromArchive(archive, {
    ...(options.since !== undefined ? { since: options.since } : {}),
    ...(options.version !== undefined ? { version: options.version } : {}),
  });
  const report = compareToReference(reference, live, options);
  const warnings = [...report.warnings];
  if (source?.changedSinceLogged) {
    warnings.unshift(`${source.path} changed since the run logged it: the comparison is with its content today`);
  }
  if (source && source.otherInputs.length > 0) {
    warnings.push(`the run also read ${source.otherInputs.join(', ')}; compared with ${source.path}`);
  }
  return {
    ...report,
    deployment: {
      target: record.target,
      name: record.name,
      modelVersion: source?.modelVersion ?? null,
      runId: source?.runId ?? null,
    },
    reference: {
      ...report.reference,
      path: source?.path ?? report.reference.path,
      changedSinceLogged: source?.changedSinceLogged ?? null,
    },
    warnings,
  };
}
