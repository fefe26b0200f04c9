import { formatBytes } from '../../src/core/format/numbers';
import type { LineageNodeView } from '../../src/protocol/lineage';

/** What a node shows: a kind tag, a title, a subtitle, and the details of its hover card. */
export interface NodeText {
  tag: string;
  title: string;
  subtitle: string;
  details: [string, string][];
  /** What a click does, said in the hover card. */
  action: string | null;
}

const short = (sha: string | null | undefined, n = 12) => (sha ? sha.replace(/^sha256:/, '').slice(0, n) : '—');

export function nodeText(node: LineageNodeView): NodeText {
  switch (node.kind) {
    case 'data':
      return {
        tag: node.artifactKind === 'model' ? 'MODEL FILE' : node.artifactKind === 'dataset' ? 'DATA' : 'FILE',
        title: node.label,
        subtitle: `sha256 ${short(node.sha256)}`,
        details: [
          ['path', node.paths.at(-1) ?? ''],
          ...(node.paths.length > 1
            ? ([['also logged as', node.paths.slice(0, -1).join(', ')]] as [string, string][])
            : []),
          ['sha256 (used)', node.sha256 ?? 'not recorded'],
          ...(node.freshness === 'stale' ? ([['sha256 (now)', node.currentSha256 ?? '']] as [string, string][]) : []),
          ['state', freshnessText(node.freshness)],
          ...(node.size !== null ? ([['size', formatBytes(node.size)]] as [string, string][]) : []),
        ],
        action: 'Click to reveal the file · double-click to trace it',
      };
    case 'run':
      return {
        tag: 'RUN',
        title: node.label,
        subtitle: `${node.status} · ${node.experiment}`,
        details: [
          ['run id', node.runId],
          ['experiment', node.experiment],
          ['status', node.status],
          ['started', new Date(node.createdAt).toLocaleString()],
          ...(node.gitDirty ? ([['code', 'uncommitted changes (saved as git.patch)']] as [string, string][]) : []),
        ],
        action: 'Click to open the run · double-click to trace it',
      };
    case 'model-version':
      return {
        tag: 'MODEL VERSION',
        title: node.label,
        subtitle: `sha256 ${short(node.sha256)}`,
        details: [
          ['model', node.name],
          ['version', String(node.version)],
          ['aliases', node.aliases.join(', ') || 'none'],
          ['artifact', node.artifactPath],
          ['sha256', node.sha256 ?? 'not recorded'],
        ],
        action: 'Click to select it in the Models view · double-click to trace it',
      };
    case 'commit':
      return {
        tag: 'COMMIT',
        title: node.label,
        subtitle: 'code',
        details: [['commit', node.commit]],
        action: null,
      };
    case 'push':
      return {
        tag: 'PUSHED',
        title: node.label,
        subtitle: `digest ${short(node.digest)}`,
        details: [
          ['reference', node.reference],
          ['digest', node.digest],
        ],
        action: 'Double-click to trace it',
      };
    case 'deployment':
      return {
        tag: 'DEPLOYMENT',
        title: node.label,
        subtitle: `${node.status}${node.endpoint ? ` · ${node.endpoint}` : ''}`,
        details: [
          ['target', node.target],
          ['status', node.status],
          ['endpoint', node.endpoint ?? '—'],
        ],
        action: 'Double-click to trace it',
      };
    case 'drift-report':
      return {
        tag: 'DRIFT REPORT',
        title: node.label,
        subtitle: 'asked for a retrain',
        details: [['report', node.path]],
        action: 'Click to open the report · double-click to trace it',
      };
  }
}

function freshnessText(state: string): string {
  switch (state) {
    case 'current':
      return 'unchanged since the runs used it';
    case 'stale':
      return 'STALE — the file changed since the runs used it';
    case 'missing':
      return 'the file no longer exists';
    default:
      return 'not checked';
  }
}

/** Cuts text to fit a node, marking the cut. */
export function fit(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
