import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { hasControlCharacter } from '../../../src/core/shell/quoting';
import { renderBatchScript } from '../../../src/core/slurm/batch-script';
import { SlurmTargetSchema } from '../../../src/core/slurm/target';
import { hostileStrings } from '../../fixtures/hostile-strings';

// Every value a batch script carries can come from a cloned repository (a run name, a param, a
// sweep value, an env value of compute.json). Whatever it holds, the script runs the launcher with
// exactly the words given and nothing else: the canary file never appears.

const dir = mkdtempSync(join(tmpdir(), 'trackside-batch-fuzz-'));
const canary = join(dir, 'canary');
const argvFile = join(dir, 'argv.bin');
// Stands in for `node` on the node: records the words it was given, NUL-separated.
const recorder = join(dir, 'record-argv');
writeFileSync(recorder, `#!/bin/bash\nprintf '%s\\0' "$@" > ${JSON.stringify(argvFile)}\n`, { mode: 0o755 });

function runScript(script: string): string[] {
  const file = join(dir, 'job.sh');
  writeFileSync(file, script);
  execFileSync('bash', ['-n', file]);
  rmSync(argvFile, { force: true });
  const result = spawnSync('bash', [file], { cwd: dir, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return readFileSync(argvFile, 'utf8').split('\0').slice(0, -1);
}

describe('Slurm batch scripts under hostile input', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('pass every hostile name, param, argument and env value through as data, never as a command', () => {
    const values = hostileStrings(canary, 150).filter((v) => !v.includes('\u0000'));
    for (const [i, value] of values.entries()) {
      const target = SlurmTargetSchema.parse({ node: recorder, env: { TRACKSIDE_FUZZ: value } });
      const launcherArgs = ['--name', value, '--param', `p=${value}`];
      const command = ['python', 'train.py', value];
      const script = renderBatchScript({
        target,
        runId: `01JFUZZ${String(i).padStart(19, '0')}`,
        jobName: `exp/${value}`,
        cwd: dir,
        outputFile: join(dir, 'slurm-%j.out'),
        cliPath: '/opt/trackside/cli.js',
        launcherArgs,
        command,
      });
      // The job name stays one directive line, whatever it holds.
      const directives = script.split('\n').filter((l) => l.startsWith('#SBATCH --job-name'));
      assert.equal(directives.length, 1);
      assert.ok(!hasControlCharacter(directives[0]!), `one line: ${JSON.stringify(directives[0])}`);
      const argv = runScript(script);
      assert.deepEqual(
        argv,
        [
          '/opt/trackside/cli.js',
          'run',
          '--run-id',
          `01JFUZZ${String(i).padStart(19, '0')}`,
          ...launcherArgs,
          '--',
          ...command,
        ],
        `the launcher got the words as given for ${JSON.stringify(value)}`,
      );
      assert.equal(existsSync(canary), false, `nothing ran for ${JSON.stringify(value)}`);
    }
  });

  it('refuse a working folder or output path that would break its directive, with a clear message', () => {
    const target = SlurmTargetSchema.parse({ node: recorder });
    const spec = {
      target,
      runId: '01JFUZZ0000000000000000001',
      jobName: 'x',
      cliPath: 'cli.js',
      launcherArgs: [],
      command: ['true'],
    };
    assert.throws(
      () => renderBatchScript({ ...spec, cwd: `${dir}\ntouch ${canary}`, outputFile: 'out' }),
      /sbatch --chdir cannot be .*one line without double quotes/,
    );
    assert.throws(() => renderBatchScript({ ...spec, cwd: dir, outputFile: 'a"b' }), /sbatch --output cannot be/);
  });

  it('refuse targets whose options, setup lines or env names would add lines to the script', () => {
    for (const bad of [
      { extraOptions: [`--qos=x\ntouch ${canary}`] },
      { partition: `gpu\ntouch ${canary}` },
      { setup: [`module load x\ntouch ${canary}`] },
      { env: { 'A;touch': 'x' } },
    ]) {
      assert.equal(SlurmTargetSchema.safeParse(bad).success, false, JSON.stringify(bad));
    }
  });
});
