import type { IndexStore } from '../store/database';
import { readSeriesColumns, type SeriesColumns } from '../store/metric-series';

/**
 * Raw series the compare panel has read, kept so that zooming, re-smoothing or switching the x axis
 * re-shapes points in memory instead of re-reading them. Series only grow (points are appended), so a
 * cached one is brought up to date by reading the points after its last seq. Least recently used
 * series are dropped once the cache holds more than `maxPoints` points.
 */
export class SeriesCache {
  private readonly entries = new Map<string, SeriesColumns>();
  private points = 0;

  constructor(private readonly maxPoints = 20_000_000) {}

  /** The whole series, current with the index; null when the run never logged `key`. */
  get(store: IndexStore, runId: string, key: string): SeriesColumns | null {
    const id = `${runId}\u0000${key}`;
    const cached = this.entries.get(id);
    const fresh = readSeriesColumns(store, runId, key, cached?.lastSeq ?? -1);
    if (!fresh) return cached ?? null;
    let series: SeriesColumns;
    if (cached) {
      this.entries.delete(id);
      if (fresh.step.length > 0) {
        for (let i = 0; i < fresh.step.length; i++) {
          cached.step.push(fresh.step[i] as number);
          cached.ts.push(fresh.ts[i] as number);
          cached.value.push(fresh.value[i] as number);
        }
        cached.lastSeq = fresh.lastSeq;
        this.points += fresh.step.length;
      }
      series = cached;
    } else {
      series = fresh;
      this.points += fresh.step.length;
    }
    this.entries.set(id, series);
    this.evict(id);
    return series;
  }

  /** Forgets a run (deleted or re-ingested from scratch). */
  forgetRun(runId: string): void {
    for (const [id, series] of this.entries) {
      if (id.startsWith(`${runId}\u0000`)) {
        this.points -= series.step.length;
        this.entries.delete(id);
      }
    }
  }

  private evict(keep: string): void {
    for (const [id, series] of this.entries) {
      if (this.points <= this.maxPoints) return;
      if (id === keep) continue;
      this.points -= series.step.length;
      this.entries.delete(id);
    }
  }
}
