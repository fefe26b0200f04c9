import type { ParsedMetric } from './stdout-metrics';

/** A parsed point with the time it was printed, in seconds since the epoch (the protocol's `ts`). */
export interface TimedMetric extends ParsedMetric {
  ts: number;
}

/**
 * Rate-limits the points of progress-bar redraws, per key. A bar may redraw hundreds of times a
 * second; each redraw repeats the bar's metrics, so recording all of them would flood the run's
 * events with near-duplicates. A key's first point in a window goes out at once; later ones in the
 * same window wait, and only the last of them is kept and goes out when the window ends. The last
 * value is never lost: a finished line (`\n`) or the end of the stream flushes what waits.
 *
 * A redraw that only moves the count repeats the key's value at a new step: tqdm draws the
 * postfix of iteration i again when i + 1 starts, then the new postfix at the same count. Such a
 * repeat is not a new point (it would put two values at one step and draw a staircase); only the
 * bar's final state goes out, at the end, as the value at the bar's last count.
 */
export class RedrawThrottle {
  private readonly held = new Map<string, TimedMetric>();
  private readonly lastSent = new Map<string, number>();
  /** Per key: the value offered last, and the latest redraw that only repeated it. */
  private readonly lastValue = new Map<string, number>();
  private readonly repeats = new Map<string, TimedMetric>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly windowMs: number,
    private readonly send: (points: TimedMetric[]) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** The points of one redraw. */
  offer(points: readonly TimedMetric[]): void {
    const now = this.now();
    const out: TimedMetric[] = [];
    for (const point of points) {
      if (this.lastValue.get(point.key) === point.value) {
        this.repeats.set(point.key, point);
        continue;
      }
      this.lastValue.set(point.key, point.value);
      this.repeats.delete(point.key);
      const last = this.lastSent.get(point.key);
      if (last === undefined || now - last >= this.windowMs) {
        this.held.delete(point.key);
        this.lastSent.set(point.key, now);
        out.push(point);
      } else {
        this.held.set(point.key, point);
      }
    }
    if (out.length > 0) this.send(out);
    this.schedule();
  }

  /**
   * A finished line was read: held points of the keys it gives are older values of the same
   * window and are dropped; the others go out now.
   */
  settle(lineKeys: ReadonlySet<string>): void {
    for (const key of lineKeys) {
      this.held.delete(key);
      this.repeats.delete(key);
    }
    this.release(false);
  }

  /**
   * The bar closed or the stream ended: sends everything held, and the final state of a bar whose
   * last redraws only repeated a value (its value at the bar's last count).
   */
  flush(): void {
    this.release(true);
  }

  private release(final: boolean): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const out = [...this.held.values(), ...(final ? this.repeats.values() : [])];
    this.held.clear();
    if (final) this.repeats.clear();
    if (out.length === 0) return;
    const now = this.now();
    for (const point of out) this.lastSent.set(point.key, now);
    this.send(out);
  }

  private schedule(): void {
    if (this.timer || this.held.size === 0) return;
    const now = this.now();
    let wait = this.windowMs;
    for (const key of this.held.keys()) wait = Math.min(wait, (this.lastSent.get(key) ?? 0) + this.windowMs - now);
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.releaseDue();
      },
      Math.max(wait, 1),
    );
  }

  private releaseDue(): void {
    const now = this.now();
    const out: TimedMetric[] = [];
    for (const [key, point] of this.held) {
      if (now - (this.lastSent.get(key) ?? 0) < this.windowMs) continue;
      this.held.delete(key);
      this.lastSent.set(key, now);
      out.push(point);
    }
    if (out.length > 0) this.send(out);
    this.schedule();
  }
}
