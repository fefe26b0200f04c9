import type { CompareTable } from '../../src/protocol/compare';
import type { CompareCommand, CompareViewState } from '../../src/protocol/compare';
import type { ChartRun } from './metric-chart';
import type { SeriesBroker } from './series-broker';
import type { TableView } from './table-model';

/** What the panel's parts read and how they change it; a new object on every change, so Lit re-renders. */
export interface AppContext {
  state: CompareViewState;
  table: CompareTable;
  view: TableView;
  /** Runs the charts draw: the selection, else the rows in view (up to a limit). */
  chartRuns: ChartRun[];
  chartNote: string;
  update(patch: Partial<CompareViewState>): void;
  send(command: CompareCommand): void;
  broker: SeriesBroker;
}

/** Legend labels: run names, with a short id added where two runs share a name. */
export function chartLabels(rows: readonly { id: string; name: string }[]): ChartRun[] {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.name, (counts.get(r.name) ?? 0) + 1);
  return rows.map((r) => ({
    id: r.id,
    label: (counts.get(r.name) ?? 0) > 1 ? `${r.name} · ${r.id.slice(-5)}` : r.name,
  }));
}
