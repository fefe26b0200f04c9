import { ClientMetricKeys } from './client-metric-keys';
import type { EventAppender } from './folder';
import { OutputLineSplitter, type OutputSegment } from './output-lines';
import { RedrawThrottle, type TimedMetric } from './progress-throttle';
import type { RunEvent } from './protocol';
import { StdoutMetricParser, type MetricPattern, type ParsedMetric } from './stdout-metrics';

/**
 * Zero-code metrics of a launched command: reads its stdout and stderr as they arrive (lines and
 * progress-bar redraws alike; tqdm draws on stderr) and appends the metrics found to the run's
 * events.jsonl, `source: "stdout"`. Parsed points wait a moment before they are written so that
 * a key a client logs itself wins (see ClientMetricKeys).
 */

/** How long parsed points wait for a client line with the same key (see ClientMetricKeys). */
const PARSED_FLUSH_MS = 200;
/** At most one point per key per window from a progress bar's redraws. */
const REDRAW_WINDOW_MS = 200;
/** A bar unchanged for this long is read as it stands, without waiting for its next redraw. */
const OPEN_REDRAW_IDLE_MS = 250;

export interface OutputMetricsOptions {
  /** Parse output for metrics (default true); without it, streams only split lines. */
  parseOutput?: boolean;
  /** Extra patterns for zero-code metrics. */
  metricPatterns?: readonly MetricPattern[];
}

export class OutputMetrics {
  private readonly parser: StdoutMetricParser | null;
  private readonly clientKeys: ClientMetricKeys;
  private readonly streams: OutputStreamMetrics[] = [];
  private pending: RunEvent[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly events: EventAppender,
    eventsPath: string,
    options: OutputMetricsOptions,
  ) {
    this.parser = options.parseOutput === false ? null : new StdoutMetricParser(options.metricPatterns ?? []);
    this.clientKeys = new ClientMetricKeys(eventsPath);
  }

  /** A reader for one of the command's output streams. */
  stream(): OutputStreamMetrics {
    const stream = new OutputStreamMetrics(this.parser, (points) => this.queue(points));
    this.streams.push(stream);
    return stream;
  }

  /** Writes what is left (held redraws included) and closes the events file. */
  finish(): void {
    for (const stream of this.streams) stream.close();
    if (this.timer) clearTimeout(this.timer);
    this.flush();
    this.events.close();
  }

  private queue(points: readonly TimedMetric[]): void {
    for (const { key, label, value, step, ts } of points) {
      this.pending.push(
        label === undefined
          ? { type: 'metric', key, value, step, ts, source: 'stdout' }
          : { type: 'metric', key, label, value, step, ts, source: 'stdout' },
      );
    }
    if (this.pending.length > 0) this.timer ??= setTimeout(() => this.flush(), PARSED_FLUSH_MS);
  }

  private flush(): void {
    this.timer = null;
    if (this.pending.length === 0) return;
    try {
      this.clientKeys.refresh();
    } catch {
      // Unreadable events file: keep the parsed points rather than lose them (worst case a duplicate).
    }
    const kept = this.pending.filter((event) => event.type !== 'metric' || !this.clientKeys.has(event.key));
    this.pending = [];
    this.events.appendAll(kept);
  }
}

/** One output stream: its lines, its redraws (rate-limited), and the bar it shows right now. */
export class OutputStreamMetrics {
  private readonly splitter = new OutputLineSplitter();
  private readonly throttle: RedrawThrottle;
  private idle: NodeJS.Timeout | null = null;

  constructor(
    private readonly parser: StdoutMetricParser | null,
    private readonly send: (points: TimedMetric[]) => void,
  ) {
    this.throttle = new RedrawThrottle(REDRAW_WINDOW_MS, send);
  }

  /** Reads a chunk of output; returns the lines it completed (redraws excluded). */
  push(chunk: Buffer): string[] {
    const lines = this.read(this.splitter.push(chunk));
    if (this.parser && this.splitter.hasOpenRedraw()) this.watchOpenRedraw();
    return lines;
  }

  /** The stream ended: reads what is left and sends every held point. */
  end(): string[] {
    const lines = this.read(this.splitter.end());
    this.close();
    return lines;
  }

  close(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    this.throttle.flush();
  }

  private read(segments: readonly OutputSegment[]): string[] {
    const lines: string[] = [];
    for (const segment of segments) {
      if (!segment.redraw) lines.push(segment.text);
      if (!this.parser) continue;
      if (segment.redraw) {
        this.throttle.offer(stamped(this.parser.parseRedraw(segment.text)));
      } else if (segment.repeat) {
        // The bar's last state again, as it closes: its points are those of the redraw just read.
        this.throttle.flush();
      } else {
        const points = stamped(this.parser.parseLine(segment.text));
        this.throttle.settle(new Set(points.map((point) => point.key)));
        if (points.length > 0) this.send(points);
      }
    }
    return lines;
  }

  private watchOpenRedraw(): void {
    if (this.idle) {
      this.idle.refresh();
      return;
    }
    this.idle = setTimeout(() => {
      this.idle = null;
      const text = this.splitter.takeOpenRedraw();
      if (text !== null && this.parser) this.throttle.offer(stamped(this.parser.parseRedraw(text)));
    }, OPEN_REDRAW_IDLE_MS);
  }
}

function stamped(points: readonly ParsedMetric[]): TimedMetric[] {
  const ts = Date.now() / 1000;
  return points.map((point) => ({ ...point, ts }));
}
