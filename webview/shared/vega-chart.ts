import type { Spec } from 'vega';
import embed, { type Result } from 'vega-embed';
import { expressionInterpreter } from 'vega-interpreter';
import type { TopLevelSpec } from 'vega-lite';

/**
 * Draws a vega-lite (or, already compiled, a vega) spec under the panel CSP: `ast: true` with vega-interpreter (no eval), and
 * no injected <style> tags (the same rules ship as dist/webview/vega.css).
 */
export async function drawChart(
  element: HTMLElement,
  spec: TopLevelSpec | Spec,
  mode: 'vega-lite' | 'vega' = 'vega-lite',
): Promise<Result> {
  return embed(element, spec, {
    mode,
    ast: true,
    expr: expressionInterpreter,
    actions: false,
    renderer: 'svg',
    defaultStyle: false,
    tooltip: { disableDefaultStyle: true },
    config: themeConfig(),
  });
}

/** Colours and fonts from VS Code's theme variables, so charts follow light, dark and high contrast themes. */
export function themeConfig(): Record<string, unknown> {
  const css = getComputedStyle(document.body);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  const foreground = v('--vscode-foreground', '#cccccc');
  const grid = v('--vscode-editorWidget-border', v('--vscode-panel-border', '#80808040'));
  const font = v('--vscode-font-family', 'sans-serif');
  return {
    background: 'transparent',
    font,
    axis: {
      domainColor: grid,
      gridColor: grid,
      tickColor: grid,
      labelColor: foreground,
      titleColor: foreground,
      labelFont: font,
      titleFont: font,
    },
    legend: { labelColor: foreground, titleColor: foreground, labelFont: font, titleFont: font },
    title: { color: foreground, font },
    // Marks vega draws black by default would vanish on a dark theme.
    text: { color: foreground },
    rule: { color: grid },
    view: { stroke: 'transparent' },
    range: {
      category: [
        v('--vscode-charts-blue', '#3794ff'),
        v('--vscode-charts-orange', '#d18616'),
        v('--vscode-charts-green', '#89d185'),
        v('--vscode-charts-red', '#f14c4c'),
        v('--vscode-charts-purple', '#b180d7'),
        v('--vscode-charts-yellow', '#cca700'),
      ],
    },
  };
}
