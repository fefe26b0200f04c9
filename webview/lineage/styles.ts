import { css } from 'lit';

/** Theme-aware through VS Code's variables: light, dark and high contrast all work. */
export const lineageStyles = css`
  :host {
    display: flex;
    flex-direction: column;
    height: 100vh;
    box-sizing: border-box;
    padding-bottom: 8px;
  }
  header {
    display: flex;
    align-items: center;
    gap: 8px;
    flex-wrap: wrap;
    padding: 8px 0;
  }
  h1 {
    font-size: 1.3em;
    font-weight: 600;
    margin: 0 8px 0 0;
  }
  .spacer {
    flex: 1;
  }
  .muted {
    color: var(--vscode-descriptionForeground);
  }
  .error {
    color: var(--vscode-errorForeground);
  }
  .stale-text {
    color: var(--vscode-editorWarning-foreground);
    font-weight: 600;
  }
  footer {
    font-size: 0.9em;
    padding-top: 4px;
  }
  .canvas {
    position: relative;
    flex: 1;
    min-height: 240px;
    overflow: hidden;
    border: 1px solid var(--vscode-panel-border, var(--vscode-widget-border, transparent));
    border-radius: 4px;
    background: var(--vscode-editor-background);
  }
  svg.graph {
    width: 100%;
    height: 100%;
    cursor: grab;
    touch-action: none;
    user-select: none;
    font-family: var(--vscode-font-family);
  }
  svg.graph:active {
    cursor: grabbing;
  }
  .edge path {
    fill: none;
    stroke: var(--vscode-descriptionForeground);
    stroke-width: 1.4;
    opacity: 0.75;
  }
  .edge-derived-from path {
    stroke-dasharray: 5 4;
  }
  .arrow {
    fill: var(--vscode-descriptionForeground);
  }
  .edge-label {
    fill: var(--vscode-descriptionForeground);
    font-size: 9px;
  }
  .node {
    cursor: pointer;
    --kind-color: var(--vscode-charts-foreground);
  }
  .node:focus {
    outline: none;
  }
  .node .body {
    fill: var(--vscode-editorWidget-background, var(--vscode-editor-background));
    stroke: var(--vscode-widget-border, var(--vscode-contrastBorder, var(--vscode-descriptionForeground)));
    stroke-width: 1;
  }
  .node:hover .body,
  .node:focus .body {
    stroke: var(--vscode-focusBorder);
    stroke-width: 2;
  }
  .node.focus .body {
    stroke: var(--kind-color);
    stroke-width: 2.5;
  }
  .node .stripe {
    fill: var(--kind-color);
  }
  .node .tag {
    fill: var(--kind-color);
    font-size: 9px;
    font-weight: 700;
    letter-spacing: 0.06em;
  }
  .node .title {
    fill: var(--vscode-foreground);
    font-size: 12.5px;
    font-weight: 600;
  }
  .node .subtitle {
    fill: var(--vscode-descriptionForeground);
    font-size: 10.5px;
    font-family: var(--vscode-editor-font-family, monospace);
  }
  .kind-data {
    --kind-color: var(--vscode-charts-green);
  }
  .kind-run {
    --kind-color: var(--vscode-charts-blue);
  }
  .kind-model-version {
    --kind-color: var(--vscode-charts-purple);
  }
  .kind-commit {
    --kind-color: var(--vscode-charts-foreground, var(--vscode-descriptionForeground));
  }
  .kind-push {
    --kind-color: var(--vscode-charts-orange);
  }
  .kind-deployment {
    --kind-color: var(--vscode-charts-red);
  }
  .kind-drift-report {
    --kind-color: var(--vscode-charts-yellow);
  }
  .badge text {
    font-size: 9px;
    font-weight: 700;
    fill: var(--vscode-badge-foreground);
  }
  .badge rect {
    fill: var(--vscode-badge-background);
  }
  .badge-stale rect,
  .badge-missing rect {
    fill: var(--vscode-editorWarning-foreground, #cca700);
  }
  .badge-stale text,
  .badge-missing text {
    fill: var(--vscode-editor-background);
  }
  .hover {
    position: absolute;
    max-width: 460px;
    padding: 8px 10px;
    pointer-events: none;
    color: var(--vscode-editorHoverWidget-foreground);
    background: var(--vscode-editorHoverWidget-background);
    border: 1px solid var(--vscode-editorHoverWidget-border);
    border-radius: 4px;
    box-shadow: 0 2px 8px var(--vscode-widget-shadow);
    z-index: 10;
  }
  .hover-tag {
    font-size: 0.75em;
    font-weight: 700;
    letter-spacing: 0.06em;
    color: var(--vscode-descriptionForeground);
  }
  .hover-title {
    font-weight: 600;
    margin: 2px 0 6px;
    word-break: break-all;
  }
  .hover table {
    border-collapse: collapse;
    margin-bottom: 4px;
  }
  .hover th {
    text-align: left;
    font-weight: normal;
    color: var(--vscode-descriptionForeground);
    padding: 1px 10px 1px 0;
    vertical-align: top;
    white-space: nowrap;
  }
  .hover td {
    font-family: var(--vscode-editor-font-family, monospace);
    font-size: 0.92em;
    word-break: break-all;
  }
`;
