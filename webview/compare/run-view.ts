import { LitElement, css, html, nothing } from 'lit';
import { formatBytes, formatDuration, formatNumber } from '../../src/core/format/numbers';
import { isSystemMetric } from '../../src/core/metrics/system-keys';
import type { RunDetailView } from '../../src/protocol/compare';
import type { AppContext } from './app-context';
import './charts-panel';

/** The run view: one run's params, metrics and charts, its tags and note (editable), code, files and output. */
export class RunView extends LitElement {
  static override properties = {
    ctx: { attribute: false },
    run: { attribute: false },
    draftTags: { state: true },
    draftNote: { state: true },
    dirty: { state: true },
    tagProblem: { state: true },
  };

  static override styles = css`
    :host {
      display: block;
    }
    header {
      display: flex;
      align-items: center;
      gap: 10px;
      flex-wrap: wrap;
    }
    h1 {
      font-size: 1.4em;
      font-weight: 600;
      margin: 12px 0 4px;
    }
    .muted {
      color: var(--vscode-descriptionForeground);
    }
    .actions {
      display: flex;
      gap: 8px;
      flex-wrap: wrap;
      margin: 8px 0 12px;
    }
    .sections {
      display: grid;
      grid-template-columns: repeat(auto-fit, minmax(340px, 1fr));
      gap: 12px;
      margin-bottom: 12px;
    }
    section {
      border: 1px solid var(--vscode-panel-border, transparent);
      border-radius: 4px;
      padding: 8px 12px;
      min-width: 0;
    }
    h2 {
      font-size: 1.05em;
      margin: 0 0 6px;
    }
    table {
      border-collapse: collapse;
      width: 100%;
    }
    td,
    th {
      text-align: left;
      padding: 2px 8px 2px 0;
      vertical-align: top;
      overflow-wrap: anywhere;
    }
    th {
      color: var(--vscode-descriptionForeground);
      font-weight: normal;
    }
    .num {
      text-align: right;
      font-variant-numeric: tabular-nums;
    }
    code,
    pre {
      font-family: var(--vscode-editor-font-family);
      font-size: var(--vscode-editor-font-size);
    }
    pre {
      max-height: 280px;
      overflow: auto;
      margin: 0;
      padding: 6px;
      background: var(--vscode-textCodeBlock-background);
      white-space: pre-wrap;
    }
    .tags {
      display: flex;
      flex-wrap: wrap;
      gap: 4px;
      margin-bottom: 6px;
    }
    .tag {
      display: inline-flex;
      align-items: center;
      gap: 4px;
      padding: 1px 6px;
      border-radius: 10px;
      background: var(--vscode-badge-background);
      color: var(--vscode-badge-foreground);
    }
    .tag button {
      border: none;
      background: none;
      color: inherit;
      cursor: pointer;
      padding: 0;
    }
    .row {
      display: flex;
      gap: 6px;
      align-items: center;
      margin: 4px 0;
    }
    vscode-textarea {
      width: 100%;
    }
    .output {
      margin-top: 12px;
    }
    .warning {
      color: var(--vscode-editorWarning-foreground);
    }
    .error {
      color: var(--vscode-errorForeground);
    }
  `;

  declare ctx: AppContext;
  declare run: RunDetailView;
  declare draftTags: Record<string, string>;
  declare draftNote: string;
  declare dirty: boolean;
  declare tagProblem: string;
  private shownRun = '';

  constructor() {
    super();
    this.draftTags = {};
    this.draftNote = '';
    this.dirty = false;
    this.tagProblem = '';
  }

  override willUpdate(changed: Map<string, unknown>): void {
    // A refresh from the host (new output, a status change) must not throw away what the user is typing.
    if (changed.has('run') && (!this.dirty || this.run.id !== this.shownRun)) {
      this.shownRun = this.run.id;
      this.draftTags = { ...this.run.annotations.tags };
      this.draftNote = this.run.annotations.note;
      this.dirty = false;
    }
  }

  override render() {
    const run = this.run;
    const modelSummaries = run.summaries.filter((s) => !isSystemMetric(s.key));
    const systemSummaries = run.summaries.filter((s) => isSystemMetric(s.key));
    const started = run.startedAt ?? run.createdAt;
    const duration = run.endedAt ? Date.parse(run.endedAt) - Date.parse(started) : null;
    return html`
      <header>
        <h1>${run.name}</h1>
        <vscode-badge>${run.status}</vscode-badge>
        <span class="muted"
          >${run.experiment} ·
          ${new Date(run.createdAt).toLocaleString()}${
            duration !== null ? ` · ${formatDuration(duration)}` : ''
          }${run.exitCode !== null ? ` · exit ${run.exitCode}` : ''}</span
        >
      </header>
      ${run.message && run.status !== 'finished' ? html`<p class="error">${run.message}</p>` : nothing}
      ${
        run.malformedLines > 0
          ? html`<p class="warning" role="status">
              ${
                run.malformedLines === 1
                  ? '1 malformed line in events.jsonl was skipped.'
                  : `${run.malformedLines} malformed lines in events.jsonl were skipped.`
              }
            </p>`
          : nothing
      }
      <div class="actions">
        <vscode-button secondary @click=${() => this.ctx.send({ type: 'openOutput', runId: run.id })}
          >Open Output</vscode-button
        >
        <vscode-button
          secondary
          ?disabled=${!run.git.hasPatch && !run.git.commit}
          @click=${() => this.ctx.send({ type: 'showCodeDiff', runId: run.id })}
          >Show Code Diff</vscode-button
        >
        <vscode-button secondary @click=${() => this.ctx.send({ type: 'refresh' })}>Refresh</vscode-button>
        ${
          this.ctx.state.previousRunIds.length > 0
            ? html`<vscode-button
                secondary
                @click=${() => this.ctx.send({ type: 'compareRuns', runIds: this.ctx.state.previousRunIds })}
                >Back to Comparison</vscode-button
              >`
            : nothing
        }
      </div>
      <div class="sections">
        <section aria-label="Params">
          <h2>Params</h2>
          ${
            run.params.length === 0
              ? html`<span class="muted">No params.</span>`
              : html`<table>
                  ${run.params.map(
                    (p) =>
                      html`<tr>
                        <th>${p.key}</th>
                        <td>${p.value ?? ''}</td>
                      </tr>`,
                  )}
                </table>`
          }
        </section>
        <section aria-label="Metrics">
          <h2>Metrics</h2>
          ${
            modelSummaries.length === 0
              ? html`<span class="muted">No metrics logged.</span>`
              : summaryTable('metric', modelSummaries)
          }
        </section>
        ${
          systemSummaries.length > 0
            ? html`<section aria-label="System">
                <h2>System</h2>
                ${summaryTable('sampled', systemSummaries)}
              </section>`
            : nothing
        }
        ${this.renderAnnotations()}
        <section aria-label="Code">
          <h2>Code</h2>
          <table>
            <tr>
              <th>commit</th>
              <td>
                <code>${run.git.commit?.slice(0, 12) ?? '—'}</code>${run.git.dirty ? ' (uncommitted changes)' : ''}
              </td>
            </tr>
            <tr>
              <th>branch</th>
              <td>${run.git.branch ?? '—'}</td>
            </tr>
            ${
              run.git.remote
                ? html`<tr>
                    <th>remote</th>
                    <td>${run.git.remote}</td>
                  </tr>`
                : nothing
            }
            <tr>
              <th>command</th>
              <td><code>${run.argv.join(' ')}</code></td>
            </tr>
            <tr>
              <th>interpreter</th>
              <td>${run.interpreter ?? '—'}</td>
            </tr>
            <tr>
              <th>host</th>
              <td>${run.hostname ?? '—'}</td>
            </tr>
          </table>
        </section>
        ${this.renderArtifacts()}
      </div>
      <trackside-charts-panel .ctx=${this.ctx} .keys=${run.summaries.map((s) => s.key)}></trackside-charts-panel>
      <section class="output" aria-label="Output">
        <h2>Output${run.output.truncated ? html` <span class="muted">(last lines)</span>` : nothing}</h2>
        ${run.output.lines.length === 0 ? html`<span class="muted">No output.</span>` : html`<pre>${run.output.lines.join('\n')}</pre>`}
      </section>
    `;
  }

  private renderAnnotations() {
    const logged = Object.entries(this.run.loggedTags);
    return html`<section aria-label="Tags and note">
      <h2>Tags and note</h2>
      <div class="tags">
        ${logged.map(([k, v]) => html`<span class="tag" title="Logged by the run">${k}: ${v}</span>`)}
        ${Object.entries(this.draftTags).map(
          ([k, v]) =>
            html`<span class="tag"
              >${k}${v ? `: ${v}` : ''}<button aria-label="Remove tag ${k}" @click=${() => this.removeTag(k)}>
                ✕
              </button></span
            >`,
        )}
      </div>
      <div class="row">
        <vscode-textfield
          id="new-tag"
          placeholder="tag or key=value"
          aria-label="New tag"
          @keydown=${(e: KeyboardEvent) => e.key === 'Enter' && this.addTag()}
        ></vscode-textfield>
        <vscode-button secondary @click=${() => this.addTag()}>Add Tag</vscode-button>
        <span class="error">${this.tagProblem}</span>
      </div>
      <vscode-textarea
        id="note"
        rows="3"
        placeholder="Note"
        aria-label="Note"
        .value=${this.draftNote}
        @input=${(e: Event) => {
          this.draftNote = (e.target as HTMLTextAreaElement).value;
          this.dirty = true;
        }}
      ></vscode-textarea>
      <div class="row">
        <vscode-button ?disabled=${!this.dirty} @click=${() => this.save()}>Save</vscode-button>
        <span class="muted"
          >${this.run.annotations.updatedAt ? `Saved ${new Date(this.run.annotations.updatedAt).toLocaleString()}` : ''}</span
        >
      </div>
    </section>`;
  }

  private renderArtifacts() {
    const run = this.run;
    return html`<section aria-label="Inputs and artifacts">
      <h2>Inputs and artifacts</h2>
      ${
        run.artifacts.length === 0
          ? html`<span class="muted">None logged.</span>`
          : html`<table>
              <tr>
                <th>role</th>
                <th>path</th>
                <th>sha256</th>
                <th class="num">size</th>
                <th></th>
              </tr>
              ${run.artifacts.map(
                (a) =>
                  html`<tr>
                    <td>${a.role} ${a.kind}</td>
                    <td>${a.path}</td>
                    <td title=${a.sha256 ?? ''}><code>${a.sha256?.slice(0, 12) ?? '—'}</code></td>
                    <td class="num">${a.size === null ? '—' : formatBytes(a.size)}</td>
                    <td>
                      <vscode-button
                        secondary
                        @click=${() => this.ctx.send({ type: 'openArtifact', runId: run.id, path: a.path, action: 'open' })}
                        >Open</vscode-button
                      >
                      <vscode-button
                        secondary
                        @click=${() => this.ctx.send({ type: 'openArtifact', runId: run.id, path: a.path, action: 'reveal' })}
                        >Reveal</vscode-button
                      >
                    </td>
                  </tr>`,
              )}
            </table>`
      }
    </section>`;
  }

  private addTag(): void {
    const input = this.renderRoot.querySelector<HTMLInputElement>('#new-tag');
    const text = input?.value.trim() ?? '';
    if (!text) return;
    const at = text.indexOf('=');
    const key = (at < 0 ? text : text.slice(0, at)).trim();
    const value = at < 0 ? '' : text.slice(at + 1).trim();
    if (!key) {
      this.tagProblem = 'A tag needs a name before "=".';
      return;
    }
    this.tagProblem = '';
    this.draftTags = { ...this.draftTags, [key]: value };
    this.dirty = true;
    if (input) input.value = '';
  }

  private removeTag(key: string): void {
    const { [key]: _removed, ...rest } = this.draftTags;
    this.draftTags = rest;
    this.dirty = true;
  }

  private save(): void {
    this.ctx.send({ type: 'saveAnnotations', runId: this.run.id, tags: this.draftTags, note: this.draftNote });
    this.dirty = false;
  }
}

customElements.define('trackside-run-view', RunView);

/** last / min / max / points of each metric, as the run view lists them. */
function summaryTable(heading: string, summaries: RunDetailView['summaries']) {
  return html`<table>
    <tr>
      <th>${heading}</th>
      <th class="num">last</th>
      <th class="num">min</th>
      <th class="num">max</th>
      <th class="num">points</th>
    </tr>
    ${summaries.map(
      (s) =>
        html`<tr>
          <td>${s.key}</td>
          <td class="num">${formatNumber(s.last)}</td>
          <td class="num">${formatNumber(s.min)}</td>
          <td class="num">${formatNumber(s.max)}</td>
          <td class="num">${s.count}</td>
        </tr>`,
    )}
  </table>`;
}
