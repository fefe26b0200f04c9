import { formatBytes, formatNumber } from '../format/numbers';
import type { ModelMetadata } from './modelpack';

/**
 * The model card pushed as the artifact's documentation layer: what a teammate who pulls the
 * model needs to trust it — where it came from (run, commit), how it was trained (params), how good
 * it is (metrics) and on which data (content hashes). Deterministic for the same metadata.
 */

export interface CardFile {
  path: string;
  size: number;
  digest: string;
}

function cell(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return (text ?? 'null').replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

const byKey = <T>(entries: [string, T][]) => entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

export function renderModelCard(meta: ModelMetadata, files: readonly CardFile[]): string {
  const lines: string[] = [`# ${meta.name} ${meta.version}`, ''];
  if (meta.description) lines.push(meta.description, '');
  lines.push('| | |', '|---|---|', `| Created | ${cell(meta.createdAt)} |`);
  if (meta.runId) lines.push(`| Run | \`${cell(meta.runId)}\` |`);
  if (meta.gitCommit)
    lines.push(`| Commit | \`${cell(meta.gitCommit)}\`${meta.gitDirty ? ' (with uncommitted changes)' : ''} |`);
  if (meta.sourceUrl) lines.push(`| Source | ${cell(meta.sourceUrl)} |`);
  if (meta.format) lines.push(`| Format | ${cell(meta.format)} |`);
  if (meta.licenses?.length) lines.push(`| Licenses | ${cell(meta.licenses.join(', '))} |`);
  lines.push('');

  const metrics = byKey(Object.entries(meta.metrics));
  lines.push('## Metrics', '');
  if (metrics.length === 0) lines.push('No metrics were recorded.', '');
  else
    lines.push(
      '| Metric | Value |',
      '|---|---:|',
      ...metrics.map(([k, v]) => `| ${cell(k)} | ${formatNumber(v)} |`),
      '',
    );

  const params = byKey(Object.entries(meta.params));
  lines.push('## Parameters', '');
  if (params.length === 0) lines.push('No parameters were recorded.', '');
  else lines.push('| Parameter | Value |', '|---|---|', ...params.map(([k, v]) => `| ${cell(k)} | ${cell(v)} |`), '');

  lines.push('## Training data', '');
  if (meta.dataInputs.length === 0) lines.push('No data inputs were recorded.', '');
  else {
    lines.push('| Input | SHA-256 | Size |', '|---|---|---:|');
    for (const input of meta.dataInputs) {
      lines.push(
        `| ${cell(input.path)} | \`${cell(input.sha256)}\` | ${input.size === undefined ? '' : formatBytes(input.size)} |`,
      );
    }
    lines.push('');
  }

  lines.push('## Files', '', '| File | Digest | Size |', '|---|---|---:|');
  for (const file of files) lines.push(`| ${cell(file.path)} | \`${file.digest}\` | ${formatBytes(file.size)} |`);
  lines.push('', 'Packaged by Trackside in the CNCF ModelPack format.', '');
  return lines.join('\n');
}
