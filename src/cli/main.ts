import { isUserError, type UserError } from '../core/user-error';
import type { CliError } from './errors';
import type { CliCommand } from './command';

/**
 * `trackside <command> …` — the same launcher and index the editor uses. Each command lives in
 * `commands/<name>.ts`; this table is the only place that lists them.
 */
const commands: Record<string, () => Promise<CliCommand>> = {
  run: () => import('./commands/run').then((m) => m.runCommand),
  ls: () => import('./commands/ls').then((m) => m.lsCommand),
  show: () => import('./commands/show').then((m) => m.showCommand),
  reindex: () => import('./commands/reindex').then((m) => m.reindexCommand),
  export: () => import('./commands/export').then((m) => m.exportCommand),
  push: () => import('./commands/push').then((m) => m.pushCommand),
  queue: () => import('./commands/queue').then((m) => m.queueCommand),
  sweep: () => import('./commands/sweep').then((m) => m.sweepCommand),
  submit: () => import('./commands/submit').then((m) => m.submitCommand),
  deploy: () => import('./commands/deploy').then((m) => m.deployCommand),
  undeploy: () => import('./commands/deploy').then((m) => m.undeployCommand),
  deployments: () => import('./commands/deploy').then((m) => m.deploymentsCommand),
  drift: () => import('./commands/drift').then((m) => m.driftCommand),
};

function usage(): string {
  const names = Object.keys(commands).sort();
  return [
    'Usage: trackside <command> [options]',
    '',
    'Commands:',
    ...names.map((n) => `  ${n}`),
    '',
    'Run `trackside <command> --help` for the options of one command.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name ? 0 : 2;
  }
  if (name === '--version') {
    process.stdout.write(`${process.env.TRACKSIDE_VERSION ?? '0.1.0'}\n`);
    return 0;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`trackside: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  const command = await load();
  return command.run(rest);
}

/**
 * A failure the user can act on (a {@link UserError}: a usage error, a run that is not there, an
 * index that cannot open…) is one line with its next step; anything else is a bug, with its stack.
 * Each command is its own bundle with its own copy of the error classes, so they are recognised by
 * their brand rather than `instanceof`.
 */
function exitCodeOf(error: UserError): number {
  const code = (error as Partial<CliError>).exitCode;
  return Number.isInteger(code) ? (code as number) : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (isUserError(error)) {
      process.stderr.write(`trackside: ${error.message}\n`);
      process.exitCode = exitCodeOf(error);
    } else {
      process.stderr.write(
        `trackside: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 1;
    }
  },
);
