import { lttb } from '../metrics/downsample';
import type { IndexStore } from '../store/database';
import { getComparison } from '../store/comparison';
import { meanStdBands, type BandPoint, type GroupedSeries } from './bands';
import { readSeriesColumns } from '../store/metric-series';
import { SeriesCache } from './series-cache';
import { bucketedLine } from '../store/chart-line';
import { EmaCursor, SmoothedLine, smoothedPoints, windowed, type SeriesView } from './series';
import { type XAxis } from '../store/metric-series';
import { buildCompareTable } from './table';
import type { CompareRow, CompareTable } from '../../protocol/compare';

/**
 * The data side of one Compare panel, free of any editor API: the table of its runs, chart series
 * shaped for the chart's size and zoom, and — after ingest reports changed runs — the rows and the
 * new points to send. Live charts get only points they have not been sent: per series, the session
 * remembers how many points it has consumed and the EMA state at that point. Live grouped charts
 * (mean ± std bands) are recomputed whole, when the caller asks, after their runs changed.
 */

export interface SeriesRequest {
  requestId: number;
  key: string;
  runIds: readonly string[];
  view: SeriesView;
  groupBy: string | null;
  live: boolean;
}

export interface SeriesLine {
  runId: string;
  x: number[];
  y: number[];
  total: number;
  downsampled: boolean;
}

export interface SeriesAnswer {
  requestId: number;
  key: string;
  axis: XAxis;
  lines: SeriesLine[];
  bands: BandPoint[] | null;
}

export interface AppendBatch {
  requestId: number;
  key: string;
  lines: { runId: string; x: number[]; y: number[] }[];
}

export interface ChangeUpdate {
  /** The whole table, when its columns changed or runs disappeared. */
  table: CompareTable | null;
  /** Changed rows, when the columns did not change. */
  rows: CompareRow[];
  appends: AppendBatch[];
  /** Live grouped charts whose runs changed: {@link CompareSession.liveBands} has their new bands. */
  bandsStale: boolean;
}

interface LiveSubscription {
  requestId: number;
  /** Grouped charts: the param the bands group by (null: a chart of lines). */
  groupBy: string | null;
  key: string;
  view: SeriesView;
  /** The runs the chart asked for; a run that has not logged the key yet joins when it does. */
  requested: ReadonlySet<string>;
}

export class CompareSession {
  private runIds: string[] = [];
  private table: CompareTable | null = null;
  private rowsById = new Map<string, CompareRow>();
  private readonly cache = new SeriesCache();
  private readonly live = new Map<string, LiveSubscription>();
  /** Smoothed chart lines by run and key, on the axis and smoothing last asked for. */
  private readonly lines = new Map<string, SmoothedLine>();
  /** For unsmoothed lines (downsampled in SQLite, not held here): the seq each was last sent up to. */
  private readonly sentSeq = new Map<string, number>();
  /** Keys of live grouped charts whose runs changed since their bands were last sent. */
  private readonly staleBands = new Set<string>();

  constructor(private readonly store: IndexStore) {}

  get currentRunIds(): readonly string[] {
    return this.runIds;
  }

  setRuns(runIds: readonly string[]): void {
    this.runIds = [...new Set(runIds)];
    this.table = null;
    this.live.clear();
    this.staleBands.clear();
    this.lines.clear();
    this.sentSeq.clear();
  }

  /** The table as the index has it now. Runs the index does not know are left out. */
  loadTable(now = Date.now()): CompareTable {
    this.table = buildCompareTable(getComparison(this.store, this.runIds), now);
    this.rowsById = new Map(this.table.rows.map((r) => [r.id, r]));
    return this.table;
  }

  /** The webview reloaded: what it was sent is gone, and so are its live charts. */
  resetLive(): void {
    this.live.clear();
    this.staleBands.clear();
  }

  /** Lines (or bands) for one metric, shaped to the request's axis, smoothing, zoom and size. */
  series(request: SeriesRequest): SeriesAnswer {
    const { key, view } = request;
    const runIds = request.runIds.filter((id) => this.rowsById.has(id) || this.table === null);
    this.staleBands.delete(key);
    if (request.groupBy !== null) {
      this.subscribe(request, runIds);
      return { requestId: request.requestId, key, axis: view.axis, lines: [], bands: this.bands(request, runIds) };
    }
    const lines: SeriesLine[] = [];
    for (const runId of runIds) {
      const id = `${runId}\u0000${key}`;
      if (view.smoothing === 0) {
        // Raw lines need no pass over every point in JavaScript: SQLite downsamples them.
        const line = bucketedLine(this.store, runId, key, view.axis, this.origin(runId), view.domain, view.maxPoints);
        if (!line) continue;
        this.lines.delete(id);
        this.sentSeq.set(id, line.lastSeq);
        lines.push({ runId, x: line.x, y: line.y, total: line.total, downsampled: line.downsampled });
        continue;
      }
      const line = this.line(runId, key, view);
      if (!line) continue;
      this.sentSeq.delete(id);
      lines.push({ runId, ...line.shape(view.domain, view.maxPoints) });
    }
    this.subscribe(request, runIds);
    return { requestId: request.requestId, key, axis: view.axis, lines, bands: null };
  }

  private subscribe(request: SeriesRequest, runIds: readonly string[]): void {
    const { requestId, key, view, groupBy } = request;
    if (request.live) this.live.set(key, { requestId, groupBy, key, view, requested: new Set(runIds) });
    else this.live.delete(key);
  }

  /** New bands for the live grouped charts whose runs changed since their last answer. */
  liveBands(): SeriesAnswer[] {
    const answers: SeriesAnswer[] = [];
    for (const key of this.staleBands) {
      const subscription = this.live.get(key);
      if (!subscription || subscription.groupBy === null) continue;
      const { requestId, view, groupBy, requested } = subscription;
      const runIds = [...requested].filter((id) => this.rowsById.has(id));
      const request = { requestId, key, runIds, view, groupBy, live: true };
      answers.push({ requestId, key, axis: view.axis, lines: [], bands: this.bands(request, runIds) });
    }
    this.staleBands.clear();
    return answers;
  }

  private markBandsStale(runIds: readonly string[]): boolean {
    for (const subscription of this.live.values()) {
      if (subscription.groupBy !== null && runIds.some((id) => subscription.requested.has(id))) {
        this.staleBands.add(subscription.key);
      }
    }
    return this.staleBands.size > 0;
  }

  /** The run's line for `key` on the view's axis and smoothing, current with the index. */
  private line(runId: string, key: string, view: SeriesView): SmoothedLine | null {
    const columns = this.cache.get(this.store, runId, key);
    if (!columns) return null;
    const id = `${runId}\u0000${key}`;
    const origin = this.origin(runId);
    let line = this.lines.get(id);
    if (!line?.fits(view.axis, view.smoothing, origin)) {
      line = new SmoothedLine(view.axis, view.smoothing, origin);
      this.lines.set(id, line);
    }
    line.extend(columns);
    return line;
  }

  private bands(request: SeriesRequest, runIds: readonly string[]): BandPoint[] {
    const groupColumn = this.table?.paramKeys.indexOf(request.groupBy ?? '') ?? -1;
    const grouped: GroupedSeries[] = [];
    for (const runId of runIds) {
      const columns = this.cache.get(this.store, runId, request.key);
      if (!columns) continue;
      const value = groupColumn >= 0 ? (this.rowsById.get(runId)?.params[groupColumn] ?? null) : null;
      let points = smoothedPoints(
        columns,
        request.view.axis,
        this.origin(runId),
        new EmaCursor(request.view.smoothing),
      );
      if (request.view.domain) points = windowed(points.x, points.y, request.view.domain);
      grouped.push({ group: value === null ? '(none)' : String(value), ...points });
    }
    return meanStdBands(grouped, Math.min(request.view.maxPoints, 1000));
  }

  /** Seconds since the epoch at which the run was created: zero of the relative-time axis. */
  private origin(runId: string): number {
    return (this.rowsById.get(runId)?.createdAt ?? 0) / 1000;
  }

  /** What to send after ingest changed `runIds` (`removed`: their folders are gone). */
  onRunsChanged(changed: readonly string[], kind: 'updated' | 'removed', now = Date.now()): ChangeUpdate | null {
    const mine = changed.filter((id) => this.runIds.includes(id));
    if (mine.length === 0) return null;
    if (kind === 'removed' || !this.table) {
      for (const id of mine) this.cache.forgetRun(id);
      const table = this.loadTable(now);
      return { table, rows: [], appends: [], bandsStale: this.markBandsStale(mine) };
    }
    const payload = getComparison(this.store, mine);
    const table = this.table;
    const sameColumns =
      payload.paramKeys.every((k) => table.paramKeys.includes(k)) &&
      payload.metricKeys.every((k) => table.metricKeys.includes(k)) &&
      payload.runs.every((r) => this.rowsById.has(r.id));
    if (!sameColumns) {
      const table = this.loadTable(now);
      return { table, rows: [], appends: this.appends(mine), bandsStale: this.markBandsStale(mine) };
    }
    const rows = buildCompareTable({ ...payload, paramKeys: table.paramKeys, metricKeys: table.metricKeys }, now).rows;
    for (const row of rows) {
      const index = table.rows.findIndex((r) => r.id === row.id);
      if (index >= 0) table.rows[index] = row;
      this.rowsById.set(row.id, row);
    }
    return { table: null, rows, appends: this.appends(mine), bandsStale: this.markBandsStale(mine) };
  }

  /** Points of the run logged since the chart was last sent its line, on the chart's axis and smoothing. */
  private newPoints(runId: string, subscription: LiveSubscription): { x: number[]; y: number[] } | null {
    const { key, view } = subscription;
    const id = `${runId}\u0000${key}`;
    if (view.smoothing === 0) {
      const fresh = readSeriesColumns(this.store, runId, key, this.sentSeq.get(id) ?? -1);
      if (!fresh) return null;
      this.sentSeq.set(id, fresh.lastSeq);
      return smoothedPoints(fresh, view.axis, this.origin(runId), new EmaCursor(0));
    }
    const columns = this.cache.get(this.store, runId, key);
    if (!columns) return null;
    let line = this.lines.get(id);
    if (!line) {
      // The run logged its first point of this key since the chart asked.
      line = new SmoothedLine(view.axis, view.smoothing, this.origin(runId));
      this.lines.set(id, line);
    }
    return line.extend(columns);
  }

  private appends(runIds: readonly string[]): AppendBatch[] {
    const batches: AppendBatch[] = [];
    for (const subscription of this.live.values()) {
      if (subscription.groupBy !== null) continue;
      const lines: AppendBatch['lines'] = [];
      for (const runId of runIds) {
        if (!subscription.requested.has(runId)) continue;
        let points = this.newPoints(runId, subscription);
        if (!points) continue;
        // A burst bigger than a tenth of the chart is thinned like the rest of the line was.
        const budget = Math.max(10, Math.floor(subscription.view.maxPoints / 10));
        if (points.x.length > budget) points = lttb(points, budget);
        if (points.x.length > 0) lines.push({ runId, ...points });
      }
      if (lines.length > 0) batches.push({ requestId: subscription.requestId, key: subscription.key, lines });
    }
    return batches;
  }
}
