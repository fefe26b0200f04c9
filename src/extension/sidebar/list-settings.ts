import type * as vscode from 'vscode';
import { z } from 'zod';

const FilterSchema = z.object({
  text: z.string().default(''),
  statuses: z.array(z.string()).default([]),
  tag: z.object({ key: z.string(), value: z.string().optional() }).optional(),
});
export type RunFilter = z.infer<typeof FilterSchema>;

const SortSchema = z.object({ key: z.string(), direction: z.enum(['asc', 'desc']) });
export type MetricSort = z.infer<typeof SortSchema>;

const StateSchema = z.object({
  filter: FilterSchema.default({ text: '', statuses: [] }),
  primary: z.record(z.string(), z.string()).default({}),
  sort: z.record(z.string(), SortSchema).default({}),
});
type State = z.infer<typeof StateSchema>;

const KEY = 'trackside.runList';

/**
 * How the user has arranged the Experiments view — filter, per-experiment primary metric and
 * metric sort — kept in workspace state, validated on load (a bad value resets to defaults).
 */
export class RunListSettings {
  private state: State;

  constructor(private readonly memento: vscode.Memento) {
    const parsed = StateSchema.safeParse(memento.get(KEY) ?? {});
    this.state = parsed.success ? parsed.data : StateSchema.parse({});
  }

  get filter(): RunFilter {
    return this.state.filter;
  }

  get isFiltered(): boolean {
    const f = this.state.filter;
    return f.text !== '' || f.statuses.length > 0 || f.tag !== undefined;
  }

  describeFilter(): string {
    const f = this.state.filter;
    const parts = [
      f.text ? `“${f.text}”` : '',
      f.statuses.length > 0 ? f.statuses.join(' or ') : '',
      f.tag ? `tag ${f.tag.key}${f.tag.value !== undefined ? `=${f.tag.value}` : ''}` : '',
    ].filter(Boolean);
    return parts.length > 0 ? `Filtered: ${parts.join(', ')}` : '';
  }

  async setFilter(filter: RunFilter): Promise<void> {
    this.state = { ...this.state, filter };
    await this.save();
  }

  primaryMetric(experiment: string): string | undefined {
    return this.state.primary[experiment];
  }

  async setPrimaryMetric(experiment: string, key: string): Promise<void> {
    this.state = { ...this.state, primary: { ...this.state.primary, [experiment]: key } };
    await this.save();
  }

  sortMetric(experiment: string): MetricSort | undefined {
    return this.state.sort[experiment];
  }

  async setSort(experiment: string, sort: MetricSort | undefined): Promise<void> {
    const next = { ...this.state.sort };
    if (sort) next[experiment] = sort;
    else delete next[experiment];
    this.state = { ...this.state, sort: next };
    await this.save();
  }

  private async save(): Promise<void> {
    await this.memento.update(KEY, this.state);
  }
}
