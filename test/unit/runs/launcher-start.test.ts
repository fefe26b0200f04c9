import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ingestRun } from '../../../src/core/runs/ingest';
import { launchRun, type StartedRun } from '../../../src/core/runs/launcher';
import { readRunInfo, readRunStatus } from '../../../src/core/runs/reader';
import { IndexStore } from '../../../src/core/store/database';
import { getRunDetail } from '../../../src/core/store/run-detail';
import { captureTerminal, git, initRepo, tempDir } from './run-fixtures';

/**
 * A stand-in `python3`: run with `-c` (the launcher's environment probe) it answers only once the
 * training command has started, left its pid in $STARTED and exited, and once $RELEASE exists (when
 * set). Run with a script it records its pid and ends at once. The probe can therefore only answer
 * after the command ended, whatever the machine's speed.
 */
const FAKE_PYTHON = `#!/bin/sh
if [ "$1" = "-c" ]; then
  while [ ! -s "$STARTED" ]; do sleep 0.02; done
  pid=$(cat "$STARTED")
  while kill -0 "$pid" 2>/dev/null; do sleep 0.02; done
  if [ -n "$RELEASE" ]; then
    while [ ! -f "$RELEASE" ]; do sleep 0.02; done
  fi
  printf '{"executable": "/opt/fake/bin/python3", "version": "3.99.1", "packages": {"numpy": "9.8.7"}}'
  exit 0
fi
echo $$ > "$STARTED.tmp" && mv "$STARTED.tmp" "$STARTED"
echo "loss=0.5"
`;

describe('launchRun start', () => {
  let dir: string;
  let cleanup: () => void;
  let python: string;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    mkdirSync(join(dir, 'bin'));
    python = join(dir, 'bin', 'python3');
    writeFileSync(python, FAKE_PYTHON);
    chmodSync(python, 0o755);
  });
  afterEach(() => cleanup());

  it('starts the command before the environment probe answers, and run.json has the probe result when the run ends', async () => {
    const started = join(dir, 'started');
    const result = await launchRun({
      command: [python, 'train.py'],
      cwd: dir,
      env: { ...process.env, STARTED: started },
      terminal: captureTerminal(),
      forwardSignals: false,
    });
    assert.equal(result.status, 'finished');
    assert.ok(existsSync(started), 'the command ran');
    // Read as soon as the launcher is done: the probe answered only after the command had exited.
    const info = await readRunInfo(result.runDir);
    assert.equal(info.environment.interpreter, '/opt/fake/bin/python3');
    assert.equal(info.environment.interpreterVersion, '3.99.1');
    assert.deepEqual(info.environment.packages, { numpy: '9.8.7' });
    assert.equal((await readRunStatus(result.runDir))?.status, 'finished');
  });

  it('the index first shows the run as started, then the environment run.json gained after the command ended', async () => {
    const started = join(dir, 'started');
    const release = join(dir, 'release');
    const store = IndexStore.openWorkspace(dir);
    try {
      let whileProbing: Promise<void> | undefined;
      const onStarted = (run: StartedRun): void => {
        whileProbing = (async () => {
          const first = await ingestRun(store, dir, run.runId);
          assert.equal(first.outcome, 'ingested');
          const detail = getRunDetail(store, run.runId);
          assert.equal(detail?.environment.interpreter, python, 'the interpreter as the command names it');
          assert.equal(detail?.environment.interpreterVersion, null);
          writeFileSync(release, '');
        })();
      };
      const result = await launchRun({
        command: [python, 'train.py'],
        cwd: dir,
        env: { ...process.env, STARTED: started, RELEASE: release },
        terminal: captureTerminal(),
        forwardSignals: false,
        onStarted,
      });
      await whileProbing;
      const second = await ingestRun(store, dir, result.runId);
      assert.equal(second.changed, true);
      const detail = getRunDetail(store, result.runId);
      assert.equal(detail?.status, 'finished');
      assert.equal(detail?.environment.interpreterVersion, '3.99.1');
      assert.deepEqual(detail?.environment.packages, { numpy: '9.8.7' });
      // Nothing new: a third ingest changes nothing.
      assert.equal((await ingestRun(store, dir, result.runId)).changed, false);
    } finally {
      store.close();
    }
  });

  it('captures git before the command starts: files the command writes are not in the recorded state', async () => {
    initRepo(dir);
    writeFileSync(join(dir, '.gitignore'), 'bin/\nstarted*\n');
    git(dir, 'add', '.gitignore');
    git(dir, 'commit', '-q', '-m', 'ignore');
    const result = await launchRun({
      command: ['sh', '-c', 'echo written > output.txt && echo more >> tracked.txt'],
      cwd: dir,
      terminal: captureTerminal(),
      forwardSignals: false,
    });
    assert.equal(result.status, 'finished');
    assert.match(readFileSync(join(dir, 'tracked.txt'), 'utf8'), /more/);
    const info = await readRunInfo(result.runDir);
    assert.equal(info.git?.dirty, false);
    assert.deepEqual(info.git?.untracked, []);
    assert.equal(existsSync(join(result.runDir, 'git.patch')), false);
  });
});
