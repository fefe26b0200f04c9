import { findWorkspaceRoot } from '../../core/runs/workspace';
import { cancelQueuedRun, enqueueRun } from '../../core/queue/local-queue';
import { QueueRunner } from '../../core/queue/queue-runner';
import { QueueItemError, QueueStore } from '../../core/queue/queue-store';
import type { CliCommand } from '../command';
import { CliError } from '../errors';
import { bundledCliPath, parseDeferredRun, parseOptions, positiveInteger } from './launch-options';

const USAGE = `Usage: trackside queue [list]
       trackside queue add [--experiment E] [--name N] [--param k=v]… [--cwd dir] -- <command…>
       trackside queue cancel <run-id>
       trackside queue move <run-id> <position>
       trackside queue run [--concurrency N] [--watch]

The local queue lives in .trackside/queue.json: queued runs show as queued everywhere, start in
order with at most N at once, and survive closing the editor. \`queue run\` starts them until the
queue is empty (or, with --watch, until stopped); an editor window runs the same runner, and only
one runner per workspace starts runs at a time.`;

export const queueCommand: CliCommand = {
  async run(args) {
    const [sub = 'list', ...rest] = args;
    if (sub === '--help' || sub === '-h' || rest.includes('--help')) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    try {
      switch (sub) {
        case 'list':
          return await list(findWorkspaceRoot(process.cwd()));
        case 'add': {
          const options = parseDeferredRun(rest, 'see trackside queue --help');
          const item = await enqueueRun(options);
          process.stdout.write(`queued run ${item.id} (${item.name})\n`);
          return 0;
        }
        case 'cancel': {
          const [id] = rest;
          if (!id) throw new CliError('which run? — trackside queue cancel <run-id>', 2);
          const outcome = await cancelQueuedRun(findWorkspaceRoot(process.cwd()), id);
          process.stdout.write(outcome === 'dequeued' ? `cancelled ${id}\n` : `stopping ${id}\n`);
          return 0;
        }
        case 'move': {
          const [id, position] = rest;
          if (!id || position === undefined) throw new CliError('trackside queue move <run-id> <position>', 2);
          await new QueueStore(findWorkspaceRoot(process.cwd())).move(id, positiveInteger('position', position, 1) - 1);
          return 0;
        }
        case 'run':
          return await runQueue(rest);
        default:
          throw new CliError(`unknown queue command "${sub}" — see trackside queue --help`, 2);
      }
    } catch (error) {
      if (error instanceof QueueItemError) throw new CliError(error.message);
      throw error;
    }
  },
};

async function list(workspaceRoot: string): Promise<number> {
  const { items } = await new QueueStore(workspaceRoot).read();
  if (items.length === 0) {
    process.stdout.write('the queue is empty\n');
    return 0;
  }
  let position = 0;
  for (const item of items) {
    const where = item.state === 'queued' ? `#${++position}` : 'running';
    process.stdout.write(`${where.padEnd(8)} ${item.id}  ${item.name}  ${item.command.join(' ')}\n`);
  }
  return 0;
}

/** Runs the queue in the foreground; Ctrl-C stops starting runs (those running keep going). */
export async function runQueue(args: readonly string[]): Promise<number> {
  const parsed = parseOptions(args, ['--concurrency'], ['--watch'], 'see trackside queue --help');
  const runner = new QueueRunner({
    workspaceRoot: findWorkspaceRoot(process.cwd()),
    cliPath: bundledCliPath(),
    concurrency: positiveInteger('--concurrency', parsed.values.get('--concurrency')?.at(-1), 1),
  });
  runner.onDidChange((s) => {
    const note = s.active ? '' : ` (another runner, pid ${s.runner?.pid ?? '?'}, starts the runs)`;
    process.stdout.write(`queue: ${s.running} running, ${s.queued} queued${note}\n`);
  });
  const stop = (): void => void runner.stop().then(() => process.exit(130));
  process.once('SIGINT', stop);
  runner.start();
  if (parsed.flags.has('--watch')) await new Promise(() => undefined);
  await runner.whenEmpty();
  await runner.stop();
  process.off('SIGINT', stop);
  return 0;
}
