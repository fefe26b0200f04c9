import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { parseRunArgs } from '../../../src/cli/commands/run';
import { CliError } from '../../../src/cli/errors';
import { onlyRunDir, readAllEvents, runCli, tempDir, writeScript } from './run-fixtures';
import { PYTHON } from '../../fixtures/python';

const COMMAND = ['--', 'python', 'train.py'];

function intervalFor(value: string | undefined): number | undefined {
  const options = parseRunArgs(COMMAND, value === undefined ? {} : { TRACKSIDE_SYSTEM_METRICS_INTERVAL: value });
  assert.notEqual(options, 'help');
  return options === 'help' ? undefined : options.systemMetricsIntervalMs;
}

describe('trackside run: TRACKSIDE_SYSTEM_METRICS_INTERVAL', () => {
  it('sets the sampling interval in seconds, 0 turning it off, and leaves the default when unset', () => {
    assert.equal(intervalFor('0.5'), 500);
    assert.equal(intervalFor('10'), 10_000);
    assert.equal(intervalFor('0'), 0);
    assert.equal(intervalFor(undefined), undefined);
    assert.equal(intervalFor(' '), undefined);
  });

  it('refuses a value that is no number of seconds, saying what it expects', () => {
    for (const bad of ['fast', '-1', '5s']) {
      assert.throws(
        () => intervalFor(bad),
        (error) =>
          error instanceof CliError &&
          error.exitCode === 2 &&
          /TRACKSIDE_SYSTEM_METRICS_INTERVAL expects seconds between samples/.test(error.message),
      );
    }
  });

  describe('a run from the command line', () => {
    let workspace: string;
    let cleanup: () => void;
    beforeEach(() => ({ dir: workspace, cleanup } = tempDir()));
    afterEach(() => cleanup());

    it('samples the run as often as the variable says', async () => {
      writeScript(
        workspace,
        'spin.py',
        'import time\nstart = time.time()\nwhile time.time() - start < 1.5:\n    pass\n',
      );
      const result = await runCli(['run', '--workspace', workspace, '--', PYTHON, 'spin.py'], {
        cwd: workspace,
        env: { TRACKSIDE_SYSTEM_METRICS_INTERVAL: '0.25' },
      });
      assert.equal(result.code, 0, result.stderr);
      const { events } = await readAllEvents(onlyRunDir(workspace));
      const cpu = events.filter((e) => e.type === 'metric' && e.key === 'sys/cpu_percent');
      // The default of 5 s would give none in 1.5 s.
      assert.ok(cpu.length >= 3, `${cpu.length} samples`);
    });
  });
});
