import { findNvidiaSmi, gpuMetricValues, gpusOfRun, queryNvidiaSmi, type GpuReading } from './gpu-metrics';
import { ProcessTreeReader, type TreeUsage } from './process-tree';
import type { MetricEvent } from './protocol';

/**
 * System metrics of a run, sampled by the launcher while the command runs and written as plain
 * metric events (no step: they are a function of time, and a step would line them up with
 * training steps they have nothing to do with):
 *   `sys/cpu_percent`  CPU use of the whole process tree since the last sample, 100 = one core busy
 *   `sys/rss_mb`       resident memory of the tree, in MiB
 *   `sys/gpu<N>/util_percent`, `…/memory_mb`, `…/power_w`  per GPU the run may use, when
 *                      nvidia-smi is on the run's PATH (N is nvidia-smi's index)
 */

export const DEFAULT_SYSTEM_METRICS_INTERVAL_MS = 5000;
/** Seconds between samples, for a launcher started by another process (the editor); `0` turns sampling off. */
export const SYSTEM_METRICS_INTERVAL_ENV = 'TRACKSIDE_SYSTEM_METRICS_INTERVAL';
const MIB = 1024 * 1024;

export interface SystemMetricsOptions {
  /** The command's pid (the leader of its process group). */
  pid: number;
  intervalMs: number;
  /** The command's environment: its PATH finds nvidia-smi, CUDA_VISIBLE_DEVICES picks the GPUs. */
  env: NodeJS.ProcessEnv;
  write: (events: MetricEvent[]) => void;
  /** Where GPU readings come from (default: nvidia-smi on the command's PATH, when there is one). */
  queryGpus?: (() => Promise<GpuReading[]>) | null;
}

export class SystemMetricsSampler {
  private readonly tree: ProcessTreeReader;
  private readonly queryGpus: (() => Promise<GpuReading[]>) | null;
  private previous: { usage: TreeUsage; at: number } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private gpuBusy = false;
  private stopped = false;

  constructor(private readonly options: SystemMetricsOptions) {
    this.tree = new ProcessTreeReader(options.pid);
    if (options.queryGpus !== undefined) {
      this.queryGpus = options.queryGpus;
    } else {
      const nvidiaSmi = findNvidiaSmi(options.env);
      this.queryGpus = nvidiaSmi ? () => queryNvidiaSmi(nvidiaSmi) : null;
    }
  }

  /** Takes the baseline now and samples every interval until stop(). */
  start(): void {
    this.sampleTree();
    this.timer = setInterval(() => this.sample(), this.options.intervalMs);
    // The launcher ends when the command does, whatever the sampler is waiting for.
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One sample: the tree's CPU and memory at once, the GPUs when nvidia-smi answers. */
  sample(): void {
    const ts = Date.now() / 1000;
    this.write(this.sampleTree().map(([key, value]) => metric(key, value, ts)));
    this.sampleGpus(ts);
  }

  private write(events: MetricEvent[]): void {
    if (events.length === 0 || this.stopped) return;
    try {
      this.options.write(events);
    } catch {
      // A full disk or a deleted run folder must not stop the training; later samples try again.
    }
  }

  private sampleTree(): Array<[string, number]> {
    const at = performance.now();
    const usage = this.tree.read();
    if (!usage) return [];
    const previous = this.previous;
    this.previous = { usage, at };
    const values: Array<[string, number]> = [['sys/rss_mb', round(usage.rssBytes / MIB)]];
    if (previous && at > previous.at) {
      // A process reaped by one outside the tree takes its CPU time with it: never below zero.
      const cpu = Math.max(0, usage.cpuSeconds - previous.usage.cpuSeconds);
      values.unshift(['sys/cpu_percent', round((100 * cpu) / ((at - previous.at) / 1000))]);
    }
    return values;
  }

  private sampleGpus(ts: number): void {
    if (!this.queryGpus || this.gpuBusy) return;
    this.gpuBusy = true;
    this.queryGpus().then(
      (readings) => {
        this.gpuBusy = false;
        if (this.stopped) return;
        this.write(
          gpusOfRun(readings, this.options.env).flatMap((gpu) =>
            gpuMetricValues(gpu).map(([key, value]) => metric(key, value, ts)),
          ),
        );
      },
      () => {
        // A driver that fails once may answer next time; the run goes on either way.
        this.gpuBusy = false;
      },
    );
  }
}

function metric(key: string, value: number, ts: number): MetricEvent {
  return { type: 'metric', key, value, ts };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
