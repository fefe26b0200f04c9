import { LitElement, css, html, nothing } from 'lit';
import type { CompareRow, CompareTable } from '../../src/protocol/compare';
import {
  CompareNotificationSchema,
  CompareViewStateSchema,
  defaultViewState,
  type CompareCommand,
  type CompareNotification,
  type CompareViewState,
  type RunDetailView,
} from '../../src/protocol/compare';
import { WebviewMessenger } from '../shared/webview-messenger';
import { chartLabels, type AppContext } from './app-context';
import './charts-panel';
import './param-charts';
import './run-view';
import { SeriesBroker } from './series-broker';
import './table-panel';
import { computeTableView, type TableView } from './table-model';

/** Charts draw at most this many runs unless the user selects which. */
const CHART_RUN_LIMIT = 50;

/**
 * The Compare panel's root: keeps the UI state (saved with the webview, restored after a reload),
 * receives the host's table, series and run detail, and lays out the tabs or the run view.
 */
export class CompareApp extends LitElement {
  static override properties = {
    state: { state: true },
    table: { state: true },
    run: { state: true },
    error: { state: true },
  };

  static override styles = css`
    :host {
      display: flex;
      flex-direction: column;
      height: 100vh;
      box-sizing: border-box;
      padding-bottom: 12px;
    }
    nav {
      display: flex;
      gap: 2px;
      border-bottom: 1px solid var(--vscode-panel-border, var(--vscode-editorWidget-border, transparent));
      margin: 8px 0;
    }
    nav button {
      font: inherit;
      color: var(--vscode-panelTitle-inactiveForeground, var(--vscode-descriptionForeground));
      background: none;
      border: none;
      border-bottom: 2px solid transparent;
      padding: 6px 12px;
      cursor: pointer;
      text-transform: uppercase;
      font-size: 0.85em;
      letter-spacing: 0.04em;
    }
    nav button[aria-selected='true'] {
      color: var(--vscode-panelTitle-activeForeground, var(--vscode-foreground));
      border-bottom-color: var(--vscode-panelTitle-activeBorder, var(--vscode-focusBorder));
    }
    .content {
      flex: 1;
      min-height: 0;
      overflow: auto;
    }
    .content.table {
      overflow: hidden;
      display: flex;
      flex-direction: column;
    }
    trackside-table-panel {
      flex: 1;
      min-height: 0;
    }
    .muted {
      color: var(--vscode-descriptionForeground);
    }
    .error {
      color: var(--vscode-errorForeground);
    }
  `;

  declare state: CompareViewState;
  declare table: CompareTable | undefined;
  declare run: RunDetailView | undefined;
  declare error: string | undefined;

  private readonly messenger = new WebviewMessenger<CompareCommand, CompareNotification>(
    CompareNotificationSchema,
    (n) => this.onNotification(n),
  );
  private readonly send = (command: CompareCommand) => this.messenger.send(command);
  private readonly broker = new SeriesBroker(this.send);
  private view: TableView | undefined;
  private viewInputs: [CompareTable | undefined, CompareViewState | undefined] = [undefined, undefined];

  constructor() {
    super();
    this.state = this.messenger.getState(CompareViewStateSchema) ?? defaultViewState('compare', []);
    this.table = undefined;
    this.run = undefined;
    this.error = undefined;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.messenger.send({ type: 'ready' });
  }

  private patchState(patch: Partial<CompareViewState>): void {
    this.state = { ...this.state, ...patch };
    this.messenger.setState(this.state);
  }

  private onNotification(notification: CompareNotification): void {
    switch (notification.type) {
      case 'table':
        this.onTable(notification.mode, notification.table);
        break;
      case 'rows':
        this.onRows(notification.rows);
        break;
      case 'series':
      case 'append':
        this.broker.deliver(notification);
        break;
      case 'selection':
        this.patchState({ selection: notification.runIds });
        break;
      case 'runDetail':
        this.run = notification.run;
        break;
      case 'error':
        this.error = notification.message;
        break;
    }
  }

  private onTable(mode: 'compare' | 'run', table: CompareTable): void {
    this.error = undefined;
    const runIds = table.rows.map((r) => r.id);
    const sameRuns = mode === this.state.mode && sameSet(runIds, this.state.runIds);
    if (!sameRuns) {
      // Re-targeted: the filters and choices made for other runs do not carry over, except the comparison to go back to.
      const previous = mode === 'run' && this.state.mode === 'compare' ? this.state.runIds : this.state.previousRunIds;
      this.state = { ...defaultViewState(mode, runIds), previousRunIds: mode === 'run' ? previous : [] };
      this.messenger.setState(this.state);
      if (mode === 'compare') this.run = undefined;
    }
    this.table = table;
  }

  private onRows(rows: CompareRow[]): void {
    if (!this.table) return;
    const byId = new Map(rows.map((r) => [r.id, r]));
    this.table = { ...this.table, rows: this.table.rows.map((r) => byId.get(r.id) ?? r) };
  }

  private tableView(): TableView | undefined {
    if (!this.table) return undefined;
    if (this.viewInputs[0] !== this.table || this.viewInputs[1] !== this.state) {
      this.view = computeTableView(this.table, this.state);
      this.viewInputs = [this.table, this.state];
    }
    return this.view;
  }

  private context(table: CompareTable, view: TableView): AppContext {
    const selected = new Set(this.state.selection);
    const chosen =
      selected.size > 0 ? view.rows.filter((r) => selected.has(r.id)) : view.rows.slice(0, CHART_RUN_LIMIT);
    const chartNote =
      selected.size > 0
        ? `Charting the ${chosen.length} selected run${chosen.length === 1 ? '' : 's'}.`
        : view.rows.length > CHART_RUN_LIMIT
          ? `Charting the first ${CHART_RUN_LIMIT} of ${view.rows.length} runs; select rows to choose others.`
          : '';
    return {
      state: this.state,
      table,
      view,
      chartRuns: chartLabels(chosen),
      chartNote,
      update: (patch) => this.patchState(patch),
      send: this.send,
      broker: this.broker,
    };
  }

  override render() {
    if (this.error) return html`<p class="error" role="alert">${this.error}</p>`;
    const view = this.tableView();
    if (!this.table || !view) return html`<p class="muted">Loading runs…</p>`;
    const ctx = this.context(this.table, view);
    if (this.state.mode === 'run') {
      return this.run
        ? html`<div class="content"><trackside-run-view .ctx=${ctx} .run=${this.run}></trackside-run-view></div>`
        : html`<p class="muted">Loading the run…</p>`;
    }
    if (this.table.rows.length === 0) {
      return html`<p class="muted">None of these runs is in the index any more.</p>`;
    }
    const tab = this.state.tab;
    return html`
      <nav role="tablist" aria-label="Views">
        ${(['table', 'charts', 'params'] as const).map(
          (t) =>
            html`<button
              role="tab"
              aria-selected=${t === tab ? 'true' : 'false'}
              @click=${() => this.patchState({ tab: t })}
            >
              ${t === 'table' ? 'Table' : t === 'charts' ? 'Charts' : 'Params'}
            </button>`,
        )}
      </nav>
      <div class="content ${tab}">
        ${
          tab === 'table'
            ? html`<trackside-table-panel .ctx=${ctx}></trackside-table-panel>`
            : tab === 'charts'
              ? html`<trackside-charts-panel .ctx=${ctx} .keys=${this.table.metricKeys}></trackside-charts-panel>`
              : tab === 'params'
                ? html`<trackside-param-charts .ctx=${ctx}></trackside-param-charts>`
                : nothing
        }
      </div>
    `;
  }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((id) => set.has(id));
}

customElements.define('trackside-compare', CompareApp);
