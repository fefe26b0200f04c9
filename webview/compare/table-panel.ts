import { LitElement, css, html, nothing } from 'lit';
import { allColumnIds, columnLabel, resolveColumn, type Column } from '../../src/core/compare/columns';
import type { ColumnSpec } from '../../src/protocol/compare';
import type { AppContext } from './app-context';
import './runs-table';
import { shownColumns } from './table-model';

/** The Table tab: filters, the diff-only switch, column chooser, export, and the runs table itself. */
export class TablePanel extends LitElement {
  static override properties = { ctx: { attribute: false }, choosing: { state: true } };

  static override styles = css`
    :host {
      display: flex;
      flex-direction: column;
      gap: 8px;
      height: 100%;
      min-height: 0;
    }
    .toolbar {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 8px;
    }
    #text-filter {
      width: 200px;
    }
    #expression-filter {
      flex: 1;
      min-width: 260px;
    }
    .spacer {
      flex: 1;
    }
    .problem {
      color: var(--vscode-editorWarning-foreground, var(--vscode-errorForeground));
      font-size: 0.9em;
    }
    .muted {
      color: var(--vscode-descriptionForeground);
    }
    trackside-runs-table {
      flex: 1;
      min-height: 200px;
      border: 1px solid var(--vscode-panel-border, var(--vscode-editorWidget-border, transparent));
    }
    .chooser {
      border: 1px solid var(--vscode-editorWidget-border, var(--vscode-panel-border));
      background: var(--vscode-editorWidget-background);
      padding: 8px;
      max-height: 260px;
      overflow: auto;
      columns: 3 220px;
    }
    .chooser label {
      display: flex;
      align-items: center;
      gap: 4px;
      break-inside: avoid;
    }
    .chooser button {
      border: none;
      background: none;
      color: var(--vscode-descriptionForeground);
      cursor: pointer;
      padding: 0 3px;
    }
  `;

  declare ctx: AppContext;
  declare choosing: boolean;

  constructor() {
    super();
    this.choosing = false;
  }

  private specs(): ColumnSpec[] {
    return shownColumns(this.ctx.table, this.ctx.state).map((c) => ({
      id: c.id,
      ...(c.kind === 'metric' ? { aggregate: c.aggregate } : {}),
    }));
  }

  private setColumns(specs: ColumnSpec[]): void {
    this.ctx.update({ columns: specs });
  }

  override render() {
    const { state, view, table } = this.ctx;
    const selection = new Set(state.selection);
    return html`
      <div class="toolbar">
        <vscode-textfield
          id="text-filter"
          placeholder="Filter runs"
          aria-label="Filter runs by text"
          .value=${state.textFilter}
          @input=${(e: Event) => this.ctx.update({ textFilter: (e.target as HTMLInputElement).value })}
        ></vscode-textfield>
        <vscode-textfield
          id="expression-filter"
          placeholder="Expression, e.g. lr > 0.01 and status = finished"
          aria-label="Filter runs by expression"
          .value=${state.expression}
          @input=${(e: Event) => this.ctx.update({ expression: (e.target as HTMLInputElement).value })}
        ></vscode-textfield>
        <vscode-checkbox
          id="diff-only"
          label="Only params that differ"
          .checked=${state.diffOnly}
          @change=${(e: Event) => this.ctx.update({ diffOnly: (e.target as HTMLInputElement).checked })}
        ></vscode-checkbox>
      </div>
      ${view.expressionProblem ? html`<div class="problem" role="status">${view.expressionProblem}</div>` : nothing}
      <div class="toolbar">
        <span class="muted" id="row-count">${view.rows.length} of ${table.rows.length} runs</span>
        ${
          view.hiddenCount > 0
            ? html`<vscode-button secondary @click=${() => this.ctx.update({ hidden: [] })}
                >Show ${view.hiddenCount} hidden</vscode-button
              >`
            : nothing
        }
        ${
          selection.size === 1
            ? html`<vscode-button
                secondary
                @click=${() => this.ctx.send({ type: 'openRun', runId: state.selection[0] as string })}
                >Open Run</vscode-button
              >`
            : nothing
        }
        ${
          selection.size > 1 && selection.size < table.rows.length
            ? html`<vscode-button
                secondary
                @click=${() => this.ctx.send({ type: 'compareRuns', runIds: state.selection })}
                >Compare ${selection.size} Selected</vscode-button
              >`
            : nothing
        }
        <span class="spacer"></span>
        <vscode-button secondary @click=${() => (this.choosing = !this.choosing)}>Columns…</vscode-button>
        <vscode-button secondary @click=${() => this.export('csv', 'file')}>Export CSV</vscode-button>
        <vscode-button secondary @click=${() => this.export('markdown', 'file')}>Export Markdown</vscode-button>
        <vscode-button secondary @click=${() => this.export('markdown', 'clipboard')}>Copy Markdown</vscode-button>
      </div>
      ${this.choosing ? this.renderChooser() : nothing}
      <trackside-runs-table
        .table=${table}
        .rows=${view.rows}
        .columns=${view.columns}
        .widths=${state.widths}
        .best=${view.best}
        .directions=${view.directions}
        .selection=${selection}
        .pinned=${new Set(state.pinned)}
        .sort=${state.sort}
        @sort-column=${(e: CustomEvent<{ column: string }>) => this.onSort(e.detail.column)}
        @select-rows=${(e: CustomEvent<{ runIds: string[] }>) => this.onSelect(e.detail.runIds)}
        @open-run=${(e: CustomEvent<{ runId: string }>) => this.ctx.send({ type: 'openRun', runId: e.detail.runId })}
        @pin-row=${(e: CustomEvent<{ runId: string }>) => this.toggle('pinned', e.detail.runId)}
        @hide-row=${(e: CustomEvent<{ runId: string }>) => this.toggle('hidden', e.detail.runId)}
        @aggregate=${(e: CustomEvent<{ column: string; aggregate: 'last' | 'min' | 'max' }>) => this.onAggregate(e.detail)}
        @direction=${(e: CustomEvent<{ key: string; direction: 'min' | 'max' }>) =>
          this.ctx.update({ directions: { ...state.directions, [e.detail.key]: e.detail.direction } })}
        @resize-column=${(e: CustomEvent<{ column: string; width: number }>) =>
          this.ctx.update({ widths: { ...state.widths, [e.detail.column]: e.detail.width } })}
        @move-column=${(e: CustomEvent<{ column: string; before: string }>) => this.onMove(e.detail.column, e.detail.before)}
      ></trackside-runs-table>
    `;
  }

  private renderChooser() {
    const shown = this.specs();
    const shownIds = new Set(shown.map((s) => s.id));
    const all = allColumnIds(this.ctx.table);
    const ordered = [...shown.map((s) => s.id), ...all.filter((id) => !shownIds.has(id))];
    return html`<div class="chooser" role="group" aria-label="Columns">
      ${ordered.map((id, i) => {
        const column = resolveColumn(id) as Column;
        const label = column.kind === 'metric' ? column.key : columnLabel(column);
        return html`<label>
          <input
            type="checkbox"
            .checked=${shownIds.has(id)}
            @change=${(e: Event) => this.onChoose(id, (e.target as HTMLInputElement).checked)}
          />
          <span>${column.kind === 'param' ? 'param ' : column.kind === 'metric' ? 'metric ' : ''}${label}</span>
          ${
            shownIds.has(id) && i > 0
              ? html`<button title="Move left" @click=${() => this.onMove(id, shown[i - 1]?.id ?? id)}>◀</button>`
              : nothing
          }
        </label>`;
      })}
    </div>`;
  }

  private onChoose(id: string, checked: boolean): void {
    const specs = this.specs();
    this.setColumns(checked ? [...specs, { id }] : specs.filter((s) => s.id !== id));
  }

  private onMove(column: string, before: string): void {
    const specs = this.specs();
    const moving = specs.find((s) => s.id === column);
    if (!moving) return;
    const rest = specs.filter((s) => s.id !== column);
    const at = rest.findIndex((s) => s.id === before);
    rest.splice(at < 0 ? rest.length : at, 0, moving);
    this.setColumns(rest);
  }

  private onAggregate(detail: { column: string; aggregate: 'last' | 'min' | 'max' }): void {
    this.setColumns(this.specs().map((s) => (s.id === detail.column ? { ...s, aggregate: detail.aggregate } : s)));
  }

  private onSort(column: string): void {
    const current = this.ctx.state.sort;
    // Metrics start with their better end first; other columns ascending. A third click clears.
    const first = column.startsWith('metric:') && this.ctx.view.directions[column.slice(7)] === 'max' ? 'desc' : 'asc';
    if (current?.column !== column) this.ctx.update({ sort: { column, direction: first } });
    else if (current.direction === first)
      this.ctx.update({ sort: { column, direction: first === 'asc' ? 'desc' : 'asc' } });
    else this.ctx.update({ sort: null });
  }

  private onSelect(runIds: string[]): void {
    this.ctx.update({ selection: runIds });
    this.ctx.send({ type: 'selectRuns', runIds });
  }

  private toggle(field: 'pinned' | 'hidden', runId: string): void {
    const current = this.ctx.state[field];
    const next = current.includes(runId) ? current.filter((id) => id !== runId) : [...current, runId];
    this.ctx.update({ [field]: next });
  }

  private export(format: 'csv' | 'markdown', destination: 'file' | 'clipboard'): void {
    const { view } = this.ctx;
    this.ctx.send({
      type: 'exportTable',
      format,
      destination,
      runIds: view.rows.map((r) => r.id),
      columns: view.columns.map((c) => ({ id: c.id, ...(c.kind === 'metric' ? { aggregate: c.aggregate } : {}) })),
    });
  }
}

customElements.define('trackside-table-panel', TablePanel);
