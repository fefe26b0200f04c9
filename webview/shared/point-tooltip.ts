import { css, html } from 'lit';
import { formatNumber } from '../../src/core/format/numbers';
import type { XAxis } from '../../src/core/store/metric-series';

/** The point under the pointer on a canvas-drawn chart, placed in the chart's plot element. */
export interface HoveredValue {
  label: string;
  color: string;
  x: number;
  y: number;
  /** Position in the plot element, CSS pixels. */
  left: number;
  top: number;
}

export const pointTooltipStyles = css`
  .dot {
    position: absolute;
    width: 7px;
    height: 7px;
    margin: -4px 0 0 -4px;
    border-radius: 50%;
    border: 1px solid var(--vscode-editor-background);
    pointer-events: none;
  }
  .tip {
    position: absolute;
    z-index: 1;
    margin: 10px 0 0 10px;
    padding: 4px 8px;
    white-space: nowrap;
    pointer-events: none;
    color: var(--vscode-editorHoverWidget-foreground, var(--vscode-foreground, CanvasText));
    background: var(--vscode-editorHoverWidget-background, var(--vscode-editor-background, Canvas));
    border: 1px solid var(--vscode-editorHoverWidget-border, var(--vscode-panel-border));
    border-radius: 3px;
  }
  .tip td:first-child {
    color: var(--vscode-descriptionForeground);
    padding-right: 8px;
  }
`;

/** A marker on the point and a table of its run, x and value (placed by {@link placePointTooltip}). */
export function renderPointTooltip(hover: HoveredValue, axis: XAxis, key: string) {
  const x = axis === 'wall' ? new Date(hover.x).toLocaleString() : formatNumber(hover.x);
  const xName = axis === 'step' ? 'step' : axis === 'wall' ? 'time' : 'seconds';
  return html`<div class="dot"></div>
    <div class="tip" role="tooltip">
      <table>
        <tr>
          <td>run</td>
          <td>${hover.label}</td>
        </tr>
        <tr>
          <td>${xName}</td>
          <td>${x}</td>
        </tr>
        <tr>
          <td>${key}</td>
          <td>${formatNumber(hover.y)}</td>
        </tr>
      </table>
    </div>`;
}

/**
 * Positions the rendered marker and table through the CSSOM: the webview CSP refuses style
 * attributes, and lit's styleMap writes one on its first render.
 */
export function placePointTooltip(root: ParentNode, hover: HoveredValue | null): void {
  if (!hover) return;
  for (const element of root.querySelectorAll<HTMLElement>('.dot, .tip')) {
    element.style.left = `${hover.left}px`;
    element.style.top = `${hover.top}px`;
    if (element.classList.contains('dot')) element.style.background = hover.color;
  }
}
