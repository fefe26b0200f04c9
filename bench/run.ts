// `npm run bench`: runs every benchmark, prints each figure beside its baseline, writes BENCHMARKS.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem, type as osType, release } from 'node:os';
import { join } from 'node:path';
import { sqliteDriver } from '../src/core/store/drivers';
import { benchCompare } from './compare';
import { benchDownsample } from './downsample';
import { benchDrift } from './drift';
import { benchEditor } from './editor';
import { benchIndexDrivers } from './index-drivers';
import { benchPush } from './push';
import { benchLineage } from './lineage';
import { benchRuntimeOverhead } from './runtime-overhead';
import { benchSystemMetrics } from './system-metrics';
import type { BenchResult } from './result';

interface BenchModule {
  name: string;
  run: () => Promise<BenchResult[]> | BenchResult[];
}

async function modules(): Promise<BenchModule[]> {
  const list: BenchModule[] = [
    { name: 'ingest and compare payload, per SQLite driver', run: benchIndexDrivers },
    { name: 'downsampling', run: benchDownsample },
    { name: 'system metrics sampler', run: benchSystemMetrics },
    // Before the benchmarks that drive code-server and Chromium, whose processes may still be
    // winding down after them: the push is measured against curl in wall time.
    { name: 'push', run: benchPush },
    { name: 'editor', run: benchEditor },
    { name: 'compare panel', run: benchCompare },
    { name: 'lineage', run: benchLineage },
    { name: 'drift report', run: benchDrift },
    { name: 'model server: prediction log and metrics', run: benchRuntimeOverhead },
  ];
  // The launcher benchmark lives in bench/launcher.ts, owned with the launcher; included when present.
  if (existsSync(join(__dirname, 'launcher.ts'))) {
    const specifier = './launcher';
    const launcher = (await import(specifier)) as { benchLauncher: () => Promise<BenchResult[]> };
    list.push({ name: 'launcher', run: launcher.benchLauncher });
  }
  return list;
}

function formatValue(value: number | null, unit = ''): string {
  if (value === null) return '-';
  const text = Number.isInteger(value) ? value.toLocaleString('en-US') : String(value);
  return unit ? `${text} ${unit}` : text;
}

function table(results: BenchResult[]): string {
  const header = '| Benchmark | Value | Baseline | Ratio | Goal | Pass |';
  const rule = '|---|---:|---:|---:|---|:---:|';
  const rows = results.map(
    (r) =>
      `| ${r.name} | ${formatValue(r.value, r.unit)} | ${formatValue(r.baseline, r.baseline === null ? '' : r.unit)} | ${r.ratio === null ? '-' : r.ratio.toFixed(2)} | ${r.goal} | ${r.pass ? 'yes' : 'no'} |`,
  );
  return [header, rule, ...rows].join('\n');
}

interface MachineState {
  freeBytes: number;
  loadAtStart: number[];
}

function loadText(load: readonly number[]): string {
  return load.map((l) => l.toFixed(2)).join(' / ');
}

function machine(state: MachineState): string {
  const cpu = cpus();
  const { info } = sqliteDriver();
  return [
    `- CPU: ${cpu[0]?.model ?? 'unknown'} × ${cpu.length}`,
    `- Memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB (${(state.freeBytes / 2 ** 30).toFixed(1)} GiB free at start)`,
    `- OS: ${osType()} ${release()}`,
    `- Node ${process.version}, SQLite ${info.sqliteVersion} (${info.name})`,
    // Wall-clock figures move with whatever else the machine runs; baselines are measured beside them.
    `- Load average (1 / 5 / 15 min): ${loadText(state.loadAtStart)} at start, ${loadText(loadavg())} at the end`,
  ].join('\n');
}

async function main(): Promise<void> {
  const results: BenchResult[] = [];
  const started = Date.now();
  const state: MachineState = { freeBytes: freemem(), loadAtStart: loadavg() };
  for (const module of await modules()) {
    process.stdout.write(`running ${module.name}…\n`);
    const moduleResults = await module.run();
    for (const r of moduleResults) {
      process.stdout.write(
        `  ${r.name}: ${formatValue(r.value, r.unit)} (baseline ${formatValue(r.baseline, r.unit)}, ratio ${r.ratio === null ? '-' : r.ratio.toFixed(2)}; goal ${r.goal}: ${r.pass ? 'pass' : 'FAIL'})\n`,
      );
    }
    results.push(...moduleResults);
  }
  const markdown = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString()} (${((Date.now() - started) / 1000).toFixed(0)} s). Each`,
    'figure is measured beside its baseline in the same run; ratios are value / baseline.',
    '',
    table(results),
    '',
    ...liveLatency(),
    '## Machine',
    '',
    machine(state),
    '',
  ].join('\n');
  writeFileSync(join(__dirname, '..', 'BENCHMARKS.md'), markdown);
  process.stdout.write(`\n${table(results)}\n\nwrote BENCHMARKS.md\n`);
}

/**
 * The compare panel's live-update delay is measured by its end-to-end test in a real code-server
 * (append a line to a running run's events.jsonl, wait for the point to be drawn); quoted here when
 * the e2e suite has written it.
 */
function liveLatency(): string[] {
  const file = join(__dirname, '..', 'test-results', 'compare-live-latency.json');
  if (!existsSync(file)) return [];
  const figures = JSON.parse(readFileSync(file, 'utf8')) as { points: number; p50: number; p95: number; max: number };
  return [
    '## Measured by the end-to-end suite',
    '',
    `Compare panel, live run: delay from a metric line appended to \`events.jsonl\` to its point drawn in the open chart,`,
    `over ${figures.points} points: p50 ${figures.p50} ms, **p95 ${figures.p95} ms** (goal ≤ 300 ms), max ${figures.max} ms`,
    '(`test/e2e/compare.test.ts`, written to `test-results/compare-live-latency.json`).',
    '',
  ];
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
