/** What a run records from `git status --porcelain=v2 --branch -z`. */
export interface WorkTreeStatus {
  /** The commit HEAD points to; null in a repository without commits. */
  commit: string | null;
  /** The checked-out branch; null on a detached HEAD. */
  branch: string | null;
  /** Some tracked file is staged, modified, renamed, deleted or in conflict. */
  trackedChanges: boolean;
  /** Untracked files, relative to the repository root, in git's order. */
  untracked: string[];
}

/**
 * Parses the NUL-separated porcelain v2 format: `# branch.*` headers, then one entry per changed
 * path (`1` changed, `2` renamed or copied — followed by its original path —, `u` unmerged,
 * `?` untracked, `!` ignored). Paths come unquoted with -z.
 */
export function parseStatusV2(output: string): WorkTreeStatus {
  const status: WorkTreeStatus = { commit: null, branch: null, trackedChanges: false, untracked: [] };
  const entries = output.split('\0');
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] ?? '';
    if (entry.startsWith('# branch.oid ')) {
      const oid = entry.slice('# branch.oid '.length);
      status.commit = oid === '(initial)' ? null : oid;
    } else if (entry.startsWith('# branch.head ')) {
      const head = entry.slice('# branch.head '.length);
      status.branch = head === '(detached)' ? null : head;
    } else if (entry.startsWith('? ')) {
      status.untracked.push(entry.slice(2));
    } else if (entry.startsWith('1 ') || entry.startsWith('u ')) {
      status.trackedChanges = true;
    } else if (entry.startsWith('2 ')) {
      status.trackedChanges = true;
      i++; // the original path of the rename or copy
    }
  }
  return status;
}
