import type { MetricEvent, RunInfo, RunStatus } from './protocol';
import { readEventsFrom, readRunInfo, readRunStatus } from './reader';

export interface RunMetrics {
  info: RunInfo;
  status: RunStatus | null;
  /** Points per metric key, in the order they were logged; the step is the logged step or the point's index. */
  series: Map<string, { step: number; value: number }[]>;
  malformedLines: number;
}

/** A run's metric series read straight from its folder (no index needed). */
export async function readRunMetrics(runDir: string): Promise<RunMetrics> {
  const info = await readRunInfo(runDir);
  const status = await readRunStatus(runDir);
  const series = new Map<string, { step: number; value: number }[]>();
  let malformedLines = 0;
  await readEventsFrom(runDir, 0, (chunk) => {
    malformedLines += chunk.malformed;
    for (const event of chunk.events) if (event.type === 'metric') addPoint(series, event);
  });
  return { info, status, series, malformedLines };
}

function addPoint(series: Map<string, { step: number; value: number }[]>, event: MetricEvent): void {
  let points = series.get(event.key);
  if (!points) series.set(event.key, (points = []));
  points.push({ step: event.step ?? points.length, value: event.value });
}
