import type { CliCommand } from '../command';
import {
  describeDriver,
  openIndex,
  parseCommandArgs,
  reportInvalidRuns,
  resolveWorkspace,
  printedHelp,
} from '../workspace-index';
import { reindex } from '../../core/runs/reindex';

const USAGE = `Usage: trackside reindex [--workspace <path>]

Rebuilds .trackside/index.db from the run folders. Nothing is lost: the folders are the truth.`;

export const reindexCommand: CliCommand = {
  async run(args) {
    const { values } = parseCommandArgs(
      args,
      { workspace: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      USAGE,
    );
    if (printedHelp(values, USAGE)) return 0;
    const root = resolveWorkspace(values.workspace);
    const store = openIndex(root);
    try {
      const { counts, ingest } = await reindex(store, root);
      reportInvalidRuns(ingest);
      const lines = [
        `Reindexed ${root} (${describeDriver(store)})`,
        `  experiments      ${counts.experiments}`,
        `  runs             ${counts.runs}`,
        `  params           ${counts.params}`,
        `  metric points    ${counts.metricPoints} (${counts.metricKeys} keys)`,
        `  tags             ${counts.tags}`,
        `  artifacts        ${counts.artifacts}`,
        `  malformed lines  ${counts.malformedLines} (skipped)`,
      ];
      if (ingest.invalid.length > 0) lines.push(`  skipped runs     ${ingest.invalid.length} (invalid run.json)`);
      process.stdout.write(`${lines.join('\n')}\n`);
      return 0;
    } finally {
      store.close();
    }
  },
};
