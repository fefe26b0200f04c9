import { LitElement, css, html, nothing } from 'lit';
import { formatDuration, formatNumber } from '../../src/core/format/numbers';
import type { FeatureDrift } from '../../src/core/monitoring/drift';
import type { DriftReport } from '../../src/core/monitoring/report';
import { DRIFT_SINCE_CHOICES, type DeploymentCommand, type DriftSince } from '../../src/protocol/deployment';
import { histogramSvg } from './feature-histogram';
import { versionLabel } from './traffic-specs';

/** What the panel knows of the drift report: being computed, done, or failed (with the `since` it was for). */
export type DriftView =
  | { kind: 'none' }
  | { kind: 'pending'; since: DriftSince; previous: DriftReport | undefined }
  | { kind: 'done'; since: DriftSince; report: DriftReport }
  | { kind: 'failed'; since: DriftSince; message: string };

const percent = (share: number) => `${formatNumber(Number((share * 100).toFixed(1)))} %`;

/** Drifted features first, then by PSI (largest first), then by name. */
export function sortFeatures(features: readonly FeatureDrift[]): FeatureDrift[] {
  return [...features].sort(
    (a, b) =>
      Number(b.drifted) - Number(a.drifted) ||
      b.psi.value - a.psi.value ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}

export function testText(feature: FeatureDrift): string {
  const { test } = feature;
  const statistic =
    test.name === 'ks'
      ? `KS D = ${formatNumber(test.statistic)}`
      : `χ² = ${formatNumber(test.statistic)}${test.dof !== undefined ? ` (dof ${test.dof})` : ''}`;
  return `${statistic}, p = ${formatNumber(test.pValue)}`;
}

function localTime(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' }) : '-';
}

/** The Drift section: a summary of the report, its features as a table, and what to do next. */
export class DriftSection extends LitElement {
  static override properties = {
    drift: { attribute: false },
    labels: { attribute: false },
    send: { attribute: false },
  };

  static override styles = css`
    :host {
      display: block;
    }
    .toolbar {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 8px;
      margin: 4px 0 10px;
    }
    .toolbar label {
      display: inline-flex;
      align-items: center;
      gap: 6px;
    }
    vscode-single-select {
      width: 110px;
    }
    .spacer {
      flex: 1;
    }
    .summary {
      margin: 0 0 8px;
      line-height: 1.6;
    }
    .summary p {
      margin: 0;
    }
    .verdict {
      font-weight: 600;
    }
    .verdict.drift {
      color: var(--vscode-errorForeground);
    }
    .verdict.stable {
      color: var(--vscode-testing-iconPassed, var(--vscode-charts-green));
    }
    .muted {
      color: var(--vscode-descriptionForeground);
    }
    .error {
      color: var(--vscode-errorForeground);
    }
    .link {
      font: inherit;
      color: var(--vscode-textLink-foreground);
      background: none;
      border: none;
      padding: 0;
      cursor: pointer;
      max-width: 100%;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
      vertical-align: bottom;
    }
    .link:hover {
      text-decoration: underline;
      color: var(--vscode-textLink-activeForeground);
    }
    .link:focus-visible {
      outline: 1px solid var(--vscode-focusBorder);
    }
    ul.warnings {
      margin: 4px 0 0;
      padding-left: 18px;
      color: var(--vscode-editorWarning-foreground);
    }
    ul.warnings li {
      overflow-wrap: anywhere;
    }
    .stale {
      opacity: 0.55;
    }
    .table-wrap {
      overflow-x: auto;
    }
    table {
      width: 100%;
      min-width: 920px;
      border-collapse: collapse;
      table-layout: fixed;
    }
    th,
    td {
      text-align: left;
      padding: 3px 8px;
      border-bottom: 1px solid var(--vscode-editorWidget-border, transparent);
      vertical-align: middle;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    th {
      color: var(--vscode-descriptionForeground);
      font-weight: normal;
    }
    col.kind {
      width: 96px;
    }
    col.test {
      width: 230px;
    }
    col.psi {
      width: 120px;
    }
    col.drifted {
      width: 72px;
    }
    col.histogram {
      width: 184px;
    }
    .num {
      font-variant-numeric: tabular-nums;
    }
    tr.drifted td.name {
      font-weight: 600;
    }
    .badge {
      display: inline-block;
      margin-left: 6px;
      padding: 0 6px;
      border-radius: 8px;
      font-size: 0.85em;
      line-height: 1.5;
    }
    .badge.warn {
      color: var(--vscode-editor-background);
      background: var(--vscode-editorWarning-foreground, var(--vscode-charts-yellow));
    }
    .badge.alert {
      color: var(--vscode-editor-background);
      background: var(--vscode-errorForeground, var(--vscode-charts-red));
    }
    .yes {
      color: var(--vscode-errorForeground);
      font-weight: 600;
    }
    .legend {
      display: inline-flex;
      align-items: center;
      gap: 4px;
      margin-left: 6px;
    }
    .swatch {
      display: inline-block;
      width: 10px;
      height: 10px;
      border-radius: 2px;
    }
    .swatch.ref {
      background: var(--vscode-charts-blue, #3794ff);
      opacity: 0.45;
    }
    .swatch.live {
      background: var(--vscode-charts-orange, #d18616);
    }
    svg.histogram {
      display: block;
    }
    svg.histogram .ref {
      fill: var(--vscode-charts-blue, #3794ff);
      fill-opacity: 0.45;
    }
    svg.histogram .live {
      fill: var(--vscode-charts-orange, #d18616);
    }
    svg.histogram .hit {
      fill: transparent;
    }
    svg.histogram .bin:hover .hit {
      fill: var(--vscode-list-hoverBackground, rgba(128, 128, 128, 0.2));
    }
    svg.histogram .axis {
      stroke: var(--vscode-editorWidget-border, rgba(128, 128, 128, 0.5));
    }
  `;

  declare drift: DriftView;
  declare labels: Readonly<Record<string, string>>;
  declare send: (command: DeploymentCommand) => void;

  constructor() {
    super();
    this.drift = { kind: 'none' };
    this.labels = {};
  }

  private report(): DriftReport | undefined {
    if (this.drift.kind === 'done') return this.drift.report;
    if (this.drift.kind === 'pending') return this.drift.previous;
    return undefined;
  }

  /** The period of the report shown or being computed (the host remembers it across reloads). */
  private get since(): DriftSince {
    return this.drift.kind === 'none' ? null : this.drift.since;
  }

  private refresh(since: DriftSince): void {
    this.send({ type: 'refreshDrift', since });
  }

  override render() {
    const report = this.report();
    const pending = this.drift.kind === 'pending';
    return html`
      <div class="toolbar">
        <vscode-button ?disabled=${pending} @click=${() => this.refresh(this.since)}>Refresh</vscode-button>
        <label
          >Requests
          <vscode-single-select
            aria-label="Requests to compare"
            .value=${this.since ?? 'all'}
            @change=${(e: Event) => {
              const value = (e.target as HTMLSelectElement).value;
              const since = value === 'all' ? null : (value as DriftSince);
              if (since !== this.since) this.refresh(since);
            }}
          >
            ${DRIFT_SINCE_CHOICES.map((c) => html`<vscode-option value=${c}>last ${c}</vscode-option>`)}
            <vscode-option value="all">all</vscode-option>
          </vscode-single-select></label
        >
        <span class="spacer"></span>
        <vscode-button secondary @click=${() => this.send({ type: 'retrain' })}>Retrain on New Data</vscode-button>
        <vscode-button
          secondary
          ?disabled=${this.drift.kind !== 'done'}
          @click=${() => this.send({ type: 'exportReport' })}
          >Export JSON</vscode-button
        >
      </div>
      ${this.status()} ${report ? this.reportView(report, pending) : nothing}
    `;
  }

  private status() {
    switch (this.drift.kind) {
      case 'none':
        return nothing;
      case 'pending':
        return html`<p class="muted" role="status">
          Computing the drift report${this.drift.since ? ` over the last ${this.drift.since}` : ''}…
        </p>`;
      case 'failed':
        return html`<p class="error" role="alert">The drift report could not be computed: ${this.drift.message}</p>`;
      case 'done':
        return nothing;
    }
  }

  private reportView(report: DriftReport, stale: boolean) {
    const features = sortFeatures(report.features);
    return html`<div class=${stale ? 'stale' : ''}>
      ${this.summary(report)}
      ${
        features.length === 0
          ? html`<p class="muted">No feature could be compared.</p>`
          : html`<div class="table-wrap">
              <table>
                <colgroup>
                  <col class="name" />
                  <col class="kind" />
                  <col class="test" />
                  <col class="psi" />
                  <col class="drifted" />
                  <col class="histogram" />
                </colgroup>
                <thead>
                  <tr>
                    <th>Feature</th>
                    <th>Kind</th>
                    <th>Test</th>
                    <th>PSI</th>
                    <th>Drifted</th>
                    <th>
                      <span class="legend"><span class="swatch ref"></span>reference</span>
                      <span class="legend"><span class="swatch live"></span>live</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  ${features.map((f) => this.row(f))}
                </tbody>
              </table>
            </div>`
      }
    </div>`;
  }

  private summary(report: DriftReport) {
    const { live, reference, thresholds } = report;
    const span =
      live.from && live.to
        ? ` from ${localTime(live.from)} to ${localTime(live.to)} (${formatDuration(Date.parse(live.to) - Date.parse(live.from))})`
        : '';
    const versions = Object.entries(live.versions);
    return html`<div class="summary">
      <p>
        Dataset drift:
        <span class="verdict ${report.datasetDrift ? 'drift' : 'stable'}">${report.datasetDrift ? 'yes' : 'no'}</span>
        — ${formatNumber(report.driftedFeatures.length)} of ${formatNumber(report.features.length)} features drifted
        (${percent(report.share)}; the data set drifts at ${percent(thresholds.datasetShare)}, a feature at p &lt;
        ${formatNumber(thresholds.pValue)})
      </p>
      <p>
        Reference:
        <button class="link" title=${`Open ${reference.path}`} @click=${() => this.send({ type: 'openReference' })}>
          ${reference.path}</button
        >, ${formatNumber(reference.rows)}
        rows${reference.changedSinceLogged ? html` <span class="muted">(changed since the run logged it)</span>` : nothing}
      </p>
      <p>
        Live: ${formatNumber(live.rows)} rows in ${formatNumber(live.requests)}
        requests${span}${
          versions.length > 1
            ? html` <span class="muted"
                >(${versions.map(([v, n]) => `${versionLabel(v, this.labels)}: ${formatNumber(n)}`).join(', ')})</span
              >`
            : nothing
        }
      </p>
      ${
        report.warnings.length > 0
          ? html`<ul class="warnings">
              ${report.warnings.map((w) => html`<li>${w}</li>`)}
            </ul>`
          : nothing
      }
    </div>`;
  }

  private row(feature: FeatureDrift) {
    const psi = feature.psi;
    const test = testText(feature);
    return html`<tr class=${feature.drifted ? 'drifted' : ''}>
      <td class="name" title=${feature.name}>${feature.name}</td>
      <td>${feature.kind}</td>
      <td class="num" title=${test}>${test}</td>
      <td class="num">
        ${formatNumber(psi.value)}${psi.level === 'ok' ? nothing : html`<span class="badge ${psi.level}">${psi.level}</span>`}
      </td>
      <td class=${feature.drifted ? 'yes' : ''}>${feature.drifted ? 'yes' : 'no'}</td>
      <td>${histogramSvg(feature)}</td>
    </tr>`;
  }
}

customElements.define('trackside-drift-section', DriftSection);
