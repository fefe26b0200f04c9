import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { commandOnNode, renderBatchScript, sbatchDirectives } from '../../../src/core/slurm/batch-script';
import { SlurmError } from '../../../src/core/slurm/errors';
import { parseComputeTargets, resolveTarget, SlurmTargetSchema } from '../../../src/core/slurm/target';

const dir = mkdtempSync(join(tmpdir(), 'trackside-batch-'));

describe('Slurm batch scripts', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('asks sbatch for every resource the target sets', () => {
    const target = SlurmTargetSchema.parse({
      partition: 'gpu',
      account: 'ml-lab',
      time: '1-12:00',
      cpus: 8,
      mem: '32G',
      gpus: 'a100:2',
      extraOptions: ['--qos=high', '--constraint=nvlink'],
    });
    assert.deepEqual(sbatchDirectives(target), [
      '#SBATCH --partition=gpu',
      '#SBATCH --account=ml-lab',
      '#SBATCH --time=1-12:00',
      '#SBATCH --cpus-per-task=8',
      '#SBATCH --mem=32G',
      '#SBATCH --gpus=a100:2',
      '#SBATCH --qos=high',
      '#SBATCH --constraint=nvlink',
    ]);
    assert.deepEqual(sbatchDirectives(SlurmTargetSchema.parse({ gres: 'gpu:1' })), ['#SBATCH --gres=gpu:1']);
  });

  it('runs the launcher with the command exactly as given, quotes and spaces included', () => {
    // The launcher stands in as printf, which prints each argument it gets on a line of its own.
    const target = SlurmTargetSchema.parse({ node: 'printf', setup: ['set -u'], env: { MY_VAR: "it's set" } });
    const script = renderBatchScript({
      target,
      runId: '01RUN',
      jobName: 'exp/name with space',
      cwd: dir,
      outputFile: join(dir, 'slurm-%j.out'),
      cliPath: '%s\\n',
      launcherArgs: ['--name', "Ada's run"],
      command: ['python3', 'train.py', '--note', 'two words', '--q', '"quoted" $HOME `x`'],
    });
    assert.match(script, /^#!\/bin\/bash\n#SBATCH --job-name="exp\/name with space"\n/);
    const path = join(dir, 'job.sh');
    writeFileSync(path, `${script}\necho "MY_VAR=$MY_VAR"\n`);
    const printed = execFileSync('bash', [path], { encoding: 'utf8' }).split('\n');
    assert.deepEqual(printed.slice(0, 12), [
      'run',
      '--run-id',
      '01RUN',
      '--name',
      "Ada's run",
      '--',
      'python3',
      'train.py',
      '--note',
      'two words',
      '--q',
      '"quoted" $HOME `x`',
    ]);
  });

  it('replaces a bare python with the interpreter set for the nodes', () => {
    const target = SlurmTargetSchema.parse({ interpreter: '/opt/conda/bin/python' });
    assert.deepEqual(commandOnNode(target, ['python', 'train.py']), ['/opt/conda/bin/python', 'train.py']);
    assert.deepEqual(commandOnNode(target, ['torchrun', 'train.py']), ['torchrun', 'train.py']);
  });

  it('refuses settings that would break the script, naming the field', () => {
    const attempt = (data: unknown): SlurmError => {
      try {
        parseComputeTargets(data, 'settings');
      } catch (error) {
        assert.ok(error instanceof SlurmError);
        return error;
      }
      assert.fail('accepted');
    };
    assert.match(attempt({ gpu: { partition: 'gpu\n#SBATCH --wrap=x' } }).message, /gpu\.partition/);
    assert.match(attempt({ gpu: { time: 'two hours' } }).message, /gpu\.time: a Slurm time limit/);
    assert.match(attempt({ gpu: { extraOptions: ['qos=high'] } }).message, /extraOptions\.0/);
    assert.equal(attempt({ gpu: { partitions: 'x' } }).reason, 'bad-target');
    const targets = parseComputeTargets({ gpu: { partition: 'gpu' } }, 'settings');
    assert.equal(resolveTarget(targets, 'gpu').partition, 'gpu');
    assert.match(String(assertThrows(() => resolveTarget(targets, 'cpu'))), /known targets: gpu/);
  });
});

function assertThrows(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  assert.fail('did not throw');
}
