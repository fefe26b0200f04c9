import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRunArgs } from '../../../src/cli/commands/run';
import { CliError } from '../../../src/cli/errors';
import {
  defaultExperiment,
  describeCommand,
  paramsFromArgs,
  readableRunName,
} from '../../../src/core/runs/command-line';
import { newRunId } from '../../../src/core/runs/run-id';
import { runCli, tempDir } from './run-fixtures';

describe('reading the command line of a run', () => {
  it('reads params from the script argv in every common spelling', () => {
    assert.deepEqual(
      paramsFromArgs([
        '--lr',
        '0.1',
        '--max-iter=200',
        '-e',
        '5',
        '--verbose',
        '--shift',
        '-1',
        'data.csv',
        '--name',
        'base',
      ]),
      {
        lr: 0.1,
        max_iter: 200,
        e: 5,
        verbose: true,
        shift: -1,
        name: 'base',
      },
    );
  });

  it('finds the script behind interpreters, options and runners, and names the experiment after it', () => {
    const cases: Array<[string[], string, string | null]> = [
      [['/usr/bin/python3', '-u', 'demo/train_digits.py', '--C', '0.5'], 'train_digits', 'demo/train_digits.py'],
      [['python', '-m', 'pkg.train', '--lr', '1'], 'train', 'pkg.train'],
      [['uv', 'run', 'python', 'fit.py'], 'fit', 'fit.py'],
      [['node', '--import', 'tsx', 'bench.ts'], 'bench', 'bench.ts'],
      [['torchrun', '--nproc_per_node', '2', 'ddp.py', '--epochs', '3'], 'ddp', 'ddp.py'],
      [['true'], 'true', null],
    ];
    for (const [argv, experiment, script] of cases) {
      const shape = describeCommand(argv, process.cwd());
      assert.equal(shape.script, script, argv.join(' '));
      assert.equal(defaultExperiment(shape, argv), experiment, argv.join(' '));
    }
    assert.deepEqual(
      describeCommand(['torchrun', '--nproc_per_node', '2', 'ddp.py', '--epochs', '3'], '/').scriptArgs,
      ['--epochs', '3'],
    );
  });

  it('gives runs readable names and time-sorted ids', () => {
    const first = newRunId();
    const second = newRunId();
    assert.ok(first < second);
    assert.match(readableRunName(first), /^[a-z]+-[a-z]+-\d{1,2}$/);
  });
});

describe('trackside run arguments', () => {
  it('parses options before -- and keeps the command intact', () => {
    const options = parseRunArgs([
      '--experiment',
      'mnist',
      '--name=try-1',
      '--param',
      'lr=0.01',
      '--param',
      'opt=adam',
      '--',
      'python',
      'train.py',
      '--lr',
      '1',
    ]);
    assert.ok(options !== 'help');
    assert.equal(options.experiment, 'mnist');
    assert.equal(options.name, 'try-1');
    assert.deepEqual(options.params, { lr: 0.01, opt: 'adam' });
    assert.deepEqual(options.command, ['python', 'train.py', '--lr', '1']);
  });

  it('explains each mistake with exit code 2', () => {
    const mistakes: Array<[string[], RegExp]> = [
      [['python', 'train.py'], /missing `--`/],
      [['--'], /no command after `--`/],
      [['--param', 'lr', '--', 'true'], /--param expects key=value/],
      [['--param', '=3', '--', 'true'], /--param expects key=value/],
      [['--frobnicate', '--', 'true'], /Unknown option '--frobnicate'/],
      [['--name', '--'], /no command after `--`|--name needs a value/],
      [['--cwd', '/no/such/folder', '--', 'true'], /no such folder/],
      [['--metric-regex', '(', '--', 'true'], /metric pattern/],
    ];
    for (const [args, message] of mistakes) {
      assert.throws(
        () => parseRunArgs(args),
        (error) => error instanceof CliError && error.exitCode === 2 && message.test(error.message),
        args.join(' '),
      );
    }
  });

  it('the CLI prints the message and exits non-zero without creating a run', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const result = await runCli(['run', 'python', 'train.py'], { cwd: dir });
      assert.equal(result.code, 2);
      assert.match(result.stderr, /trackside: missing `--` before the command/);
    } finally {
      cleanup();
    }
  });
});
