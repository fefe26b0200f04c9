import * as vscode from 'vscode';
import { findMetricLines, type MetricLine } from '../../core/inline/metric-lines';
import { recentRunsOfScript, type ScriptRun } from '../../core/inline/script-runs';
import { formatNumber } from '../../core/format/numbers';
import { sparklineSvg, svgDataUri } from '../../core/inline/sparkline';
import { metricDirection } from '../../core/metrics/direction';
import type { IndexStore } from '../../core/store/database';
import { getMetricSeries } from '../../core/store/metric-series';
import type { Settings } from '../settings';
import type { Folders } from '../workspace/folders';

const RUNS_SHOWN = 5;
const INLINE_POINTS = 48;
const HOVER_POINTS = 300;
const REFRESH_INTERVAL_MS = 1000;

interface LineState {
  line: MetricLine;
  runs: ScriptRun[];
}

/**
 * Small charts beside the lines of a training script that log metrics: a sparkline of the latest
 * run with the previous one faint behind it, the latest value, and its change against the previous
 * run. Hovering shows a larger chart over the last runs with links to compare them. Refreshed at
 * most once a second while a run of the script is writing.
 *
 * The end of a long line can be far outside the editor, so each such line also has a compact
 * sparkline of its latest run in the gutter, which stays in view whatever the line's length.
 */
export class MetricDecorations implements vscode.Disposable, vscode.HoverProvider {
  // The sparkline goes in `before` and the value in `after` of the same empty range at the end of
  // the line: one attachment cannot carry both, as VS Code renders each as a CSS `content` and the
  // text would replace the image. At one position `before` is drawn first.
  private readonly decoration = vscode.window.createTextEditorDecorationType({
    before: { margin: '0 0 0 2em' },
    after: { margin: '0 0 0 0.4em', color: new vscode.ThemeColor('editorCodeLens.foreground') },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });
  private readonly disposables: vscode.Disposable[] = [this.decoration];
  private readonly state = new Map<string, LineState[]>();
  /**
   * A gutter icon belongs to a decoration type, not to one decoration: one type per distinct
   * sparkline, made anew at each refresh; the last refresh's types are disposed after it.
   */
  private gutterTypes = new Map<string, vscode.TextEditorDecorationType>();
  private lastRefresh = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly folders: Folders,
    private readonly settings: Settings,
  ) {
    this.disposables.push(
      vscode.languages.registerHoverProvider({ language: 'python', scheme: 'file' }, this),
      vscode.window.onDidChangeVisibleTextEditors(() => this.schedule()),
      vscode.workspace.onDidSaveTextDocument(() => this.schedule()),
      folders.onDidChangeRuns(() => this.schedule()),
      settings.onDidChange(['inlineCharts.enabled'], () => this.schedule()),
    );
    this.schedule();
  }

  /** Throttled: at most one refresh a second, the last request always honoured. */
  schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastRefresh + REFRESH_INTERVAL_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lastRefresh = Date.now();
      void this.refreshAll();
    }, wait);
  }

  private async refreshAll(): Promise<void> {
    const editors = vscode.window.visibleTextEditors.filter(
      (e) => e.document.languageId === 'python' && e.document.uri.scheme === 'file',
    );
    const previous = this.gutterTypes;
    this.gutterTypes = new Map();
    try {
      if (!this.settings.inlineChartsEnabled) {
        for (const editor of editors) editor.setDecorations(this.decoration, []);
        this.state.clear();
        return;
      }
      for (const editor of editors) {
        // Each script shows the runs of its own workspace folder.
        const folder = this.folders.forUri(editor.document.uri);
        if (folder?.hasRuns()) this.decorate(editor, await folder.store());
        else editor.setDecorations(this.decoration, []);
      }
    } finally {
      for (const type of previous.values()) type.dispose();
    }
  }

  /** The decoration type drawing `svg` in the gutter, shared by the lines (of any editor) that show it. */
  private gutterType(svg: string): vscode.TextEditorDecorationType {
    let type = this.gutterTypes.get(svg);
    if (!type) {
      type = vscode.window.createTextEditorDecorationType({
        gutterIconPath: vscode.Uri.parse(svgDataUri(svg)),
        gutterIconSize: 'contain',
      });
      this.gutterTypes.set(svg, type);
    }
    return type;
  }

  private decorate(editor: vscode.TextEditor, store: IndexStore): void {
    const file = editor.document.uri.fsPath;
    const lines = findMetricLines(editor.document.getText());
    const runs = lines.length > 0 ? recentRunsOfScript(store, file, RUNS_SHOWN) : [];
    const states: LineState[] = [];
    const options: vscode.DecorationOptions[] = [];
    const gutter = new Map<vscode.TextEditorDecorationType, vscode.Range[]>();
    for (const line of lines) {
      const key = line.keys.find((k) => runs.some((r) => r.summaries.has(k)));
      if (!key) continue; // Never run, or the metric was renamed since: nothing to show.
      states.push({ line, runs });
      const [latest, previous] = runs.filter((r) => r.summaries.has(key));
      const values = (run: ScriptRun | undefined) =>
        run ? (getMetricSeries(store, { runId: run.run.id, key, maxPoints: INLINE_POINTS })?.y ?? []) : [];
      const color = latest?.run.status === 'running' ? '#3794ff' : '#4e9a06';
      const latestValues = values(latest);
      const svg = sparklineSvg(
        [
          ...(previous ? [{ values: values(previous), color: '#888888', emphasis: 'secondary' as const }] : []),
          { values: latestValues, color },
        ],
        { width: 64, height: 14, lastPoint: true },
      );
      const compact = sparklineSvg([{ values: latestValues, color }], { width: 18, height: 16, strokeWidth: 1.5 });
      const type = this.gutterType(compact);
      gutter.set(type, [...(gutter.get(type) ?? []), new vscode.Range(line.line, 0, line.line, 0)]);
      const textLine = editor.document.lineAt(line.line);
      options.push({
        range: new vscode.Range(line.line, textLine.text.length, line.line, textLine.text.length),
        renderOptions: {
          before: { contentIconPath: vscode.Uri.parse(svgDataUri(svg)) },
          after: {
            contentText: `${line.keys
              .map((k) => valueText(k, latest, previous))
              .filter(Boolean)
              .join('  ')}`,
          },
        },
      });
    }
    this.state.set(file, states);
    editor.setDecorations(this.decoration, options);
    for (const [type, ranges] of gutter) editor.setDecorations(type, ranges);
  }

  async provideHover(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    const state = this.state.get(document.uri.fsPath)?.find((s) => s.line.line === position.line);
    const folder = this.folders.forUri(document.uri);
    if (!state || !folder) return undefined;
    return hoverMarkdown(await folder.store(), state);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const type of this.gutterTypes.values()) type.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

function valueText(key: string, latest: ScriptRun | undefined, previous: ScriptRun | undefined): string {
  const summary = latest?.summaries.get(key);
  const now = summary?.last;
  if (now === undefined || now === null) return '';
  // Mid-run, the previous run's final value is no fair comparison: show where this run is instead.
  if (latest?.run.status === 'running') {
    return `${key} ${formatNumber(now)}${summary?.lastStep !== null && summary?.lastStep !== undefined ? ` @ step ${summary.lastStep}` : ''}`;
  }
  const before = previous?.summaries.get(key)?.last;
  if (before === undefined || before === null) return `${key} ${formatNumber(now)}`;
  const delta = now - before;
  if (delta === 0) return `${key} ${formatNumber(now)} (=)`;
  const better = metricDirection(key) === 'min' ? delta < 0 : delta > 0;
  return `${key} ${formatNumber(now)} (${delta > 0 ? '▲' : '▼'}${formatNumber(Math.abs(delta))}${better ? ' better' : ' worse'})`;
}

const HOVER_COLORS = ['#3794ff', '#d18616', '#89d185', '#f14c4c', '#b180d7'];

function hoverMarkdown(store: IndexStore, state: LineState): vscode.Hover {
  const md = new vscode.MarkdownString(undefined, true);
  md.isTrusted = { enabledCommands: ['trackside.compareRuns', 'trackside.openRun'] };
  for (const key of state.line.keys) {
    const runs = state.runs.filter((r) => r.summaries.has(key));
    if (runs.length === 0) continue;
    const series = runs.map((r, i) => ({
      values: getMetricSeries(store, { runId: r.run.id, key, maxPoints: HOVER_POINTS })?.y ?? [],
      color: HOVER_COLORS[i % HOVER_COLORS.length]!,
      emphasis: i === 0 ? ('primary' as const) : ('secondary' as const),
    }));
    const svg = sparklineSvg(series, {
      width: 320,
      height: 110,
      strokeWidth: 1.6,
      lastPoint: true,
      labels: { color: '#8a8a8a', fontSize: 10 },
    });
    md.appendMarkdown(`**${key}** over the last ${runs.length} run${runs.length === 1 ? '' : 's'} of this script\n\n`);
    md.appendMarkdown(`![${key} chart](${svgDataUri(svg)})\n\n`);
    for (const [i, r] of runs.entries()) {
      const s = r.summaries.get(key)!;
      const open = commandLink('trackside.openRun', [r.run.id]);
      md.appendMarkdown(
        `${i === 0 ? '●' : '○'} [${r.run.name}](${open}) · ${r.run.status} · last ${s.last === null ? 'NaN' : formatNumber(s.last)} · min ${formatNumber(s.min)} · max ${formatNumber(s.max)}\n\n`,
      );
    }
  }
  const ids = state.runs.map((r) => r.run.id);
  if (ids.length > 1)
    md.appendMarkdown(`[$(compare-changes) Compare these runs](${commandLink('trackside.compareRuns', [ids])})`);
  return new vscode.Hover(md);
}

function commandLink(command: string, args: unknown[]): string {
  return `command:${command}?${encodeURIComponent(JSON.stringify(args))}`;
}
