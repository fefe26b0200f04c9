import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DeploymentRecord } from '../../../src/core/deploy/records';
import { nodeId } from '../../../src/core/lineage/graph';
import { DERIVED_FROM_TAG, RETRAINED_FROM_TAG, loadLineageGraph } from '../../../src/core/lineage/load-graph';
import { ReproduceError } from '../../../src/core/reproduce/errors';
import {
  launchReproduction,
  prepareReproduction,
  removeReproductionWorktree,
  type ReproducePlan,
} from '../../../src/core/reproduce/reproduce';
import { ingestAll } from '../../../src/core/runs/ingest';
import { readRunInfo, readRunStatus } from '../../../src/core/runs/reader';
import { IndexStore } from '../../../src/core/store/database';
import { CLI_ENTRY, TSX_LOADER, git, readAllEvents, runCli, tempDir } from '../runs/run-fixtures';
import { PYTHON } from '../../fixtures/python';

// A real repository, a real training script run by /usr/bin/python3 through the launcher, then
// reproduced through the launcher again, from a worktree at the original commit.

const SCRIPT = `import argparse, os
import trackside as ts

HERE = os.path.dirname(os.path.abspath(__file__))
parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.1)
parser.add_argument("--epochs", type=int, default=2)
args = parser.parse_args()
data = os.path.join(HERE, "data", "train.csv")
ts.log_input(data)
rows = open(data).read().splitlines()
for epoch in range(args.epochs):
    ts.log_metric("loss", 1.0 / (epoch + 1), step=epoch)
os.makedirs(os.path.join(HERE, "models"), exist_ok=True)
model = os.path.join(HERE, "models", "model.txt")
with open(model, "w") as handle:
    handle.write("lr=%s rows=%d" % (args.lr, len(rows)))
ts.log_model(model, name="toy")
print("VARIANT", "committed")
`;

describe('reproduce a run', () => {
  const { dir: repo, cleanup } = tempDir('trackside-reproduce-');
  let originalId: string;
  let plan: ReproducePlan;

  before(async () => {
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'config', 'user.email', 'dev@example.com');
    git(repo, 'config', 'user.name', 'Dev');
    git(repo, 'config', 'commit.gpgsign', 'false');
    // The data is not committed (as is usual): the reproduction reads today's file.
    writeFileSync(join(repo, '.gitignore'), '.trackside/\ndata/\nmodels/\n');
    writeFileSync(join(repo, 'train.py'), SCRIPT);
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'train');
    // An uncommitted change at start: the reproduction must include it.
    writeFileSync(join(repo, 'train.py'), SCRIPT.replace('"committed"', '"patched"'));
    mkdirSync(join(repo, 'data'));
    writeFileSync(join(repo, 'data', 'train.csv'), 'a,b\n1,2\n3,4\n');
    mkdirSync(join(repo, '.trackside'));

    const result = await runCli(['run', '--param', 'seed=7', '--', PYTHON, 'train.py', '--lr', '0.5'], { cwd: repo });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /VARIANT patched/);
    const { readdirSync } = await import('node:fs');
    originalId = readdirSync(join(repo, '.trackside', 'runs'))[0] ?? '';

    // The data changes after training.
    writeFileSync(join(repo, 'data', 'train.csv'), 'a,b\n1,2\n3,4\n5,6\n');
    plan = await prepareReproduction({ workspaceRoot: repo, runId: originalId });
  });

  after(cleanup);

  it('checks out the run’s commit in a worktree under .trackside/worktrees with its uncommitted changes', () => {
    assert.equal(plan.worktree, join(repo, '.trackside', 'worktrees', plan.runId));
    assert.match(readFileSync(join(plan.worktree, 'train.py'), 'utf8'), /"patched"/);
    const head = git(plan.worktree, 'rev-parse', 'HEAD').trim();
    assert.equal(head, git(repo, 'rev-parse', 'HEAD').trim());
    assert.ok(plan.notes.some((n) => /git\.patch/.test(n)));
  });

  it('warns that the input changed since the run, with both hashes', () => {
    assert.equal(plan.inputs.length, 1);
    const [input] = plan.inputs;
    assert.equal(input?.path, 'data/train.csv');
    assert.equal(input?.state, 'changed');
    assert.equal(input?.source, 'workspace');
    assert.notEqual(input?.then, input?.now);
    // The untracked data is linked into the worktree so the script finds it.
    assert.ok(existsSync(join(plan.worktree, 'data', 'train.csv')));
  });

  it('runs the same command with the same params, linked to the original', async () => {
    const code = await launchReproduction(plan, {
      cliPath: CLI_ENTRY,
      nodeArgs: ['--import', TSX_LOADER],
      stdio: 'ignore',
    });
    assert.equal(code, 0);
    const runs = join(repo, '.trackside', 'runs');
    const original = await readRunInfo(join(runs, originalId));
    const copy = await readRunInfo(join(runs, plan.runId));
    assert.deepEqual(copy.argv, original.argv);
    assert.deepEqual(copy.params, original.params);
    assert.deepEqual(copy.params, { lr: 0.5, seed: 7 });
    assert.equal(copy.experiment, original.experiment);
    assert.equal(copy.git?.commit, original.git?.commit);
    assert.equal(copy.cwd, plan.worktree);
    assert.equal((await readRunStatus(join(runs, plan.runId)))?.status, 'finished');
    assert.match(readFileSync(join(runs, plan.runId, 'output.log'), 'utf8'), /VARIANT patched/);

    const { events } = await readAllEvents(join(runs, plan.runId));
    assert.ok(events.some((e) => e.type === 'tag' && e.key === DERIVED_FROM_TAG && e.value === originalId));
    assert.ok(events.some((e) => e.type === 'metric' && e.key === 'loss'));

    const store = IndexStore.openWorkspace(repo);
    try {
      await ingestAll(store, repo);
      const graph = loadLineageGraph(store);
      assert.ok(graph.downstream(nodeId.run(originalId)).has(nodeId.run(plan.runId)), 'derived-from links the runs');
    } finally {
      store.close();
    }
  });

  it('removes the worktree of a reproduction with its run, leaving the original and git tidy', async () => {
    const again = await prepareReproduction({ workspaceRoot: repo, runId: originalId });
    assert.ok(existsSync(again.worktree));
    assert.match(git(repo, 'worktree', 'list'), new RegExp(again.runId));
    assert.equal(await removeReproductionWorktree(repo, again.runId), true);
    assert.equal(existsSync(again.worktree), false);
    assert.doesNotMatch(git(repo, 'worktree', 'list'), new RegExp(again.runId));
    // The other reproduction's checkout and the original's code are untouched; a run without one has nothing to remove.
    assert.ok(existsSync(join(plan.worktree, 'train.py')));
    assert.match(readFileSync(join(repo, 'train.py'), 'utf8'), /"patched"/);
    assert.equal(await removeReproductionWorktree(repo, originalId), false);
  });

  it('retrains on a file the user picked: same commit and params, the input reads the new file, linked as retrained-from', async () => {
    const picked = join(repo, 'fresh.csv');
    writeFileSync(picked, 'a,b\n1,2\n3,4\n5,6\n7,8\n9,10\n');
    const workspaceCsv = readFileSync(join(repo, 'data', 'train.csv'), 'utf8');
    const retrain = await prepareReproduction({
      workspaceRoot: repo,
      runId: originalId,
      retrain: {
        input: 'data/train.csv',
        replacement: picked,
        driftReport: '.trackside/drift/prod-1.json',
        deploymentId: 'dep-1',
      },
    });
    // The script names its data in its own code: the worktree's copy holds the picked file's content.
    assert.equal(readFileSync(join(retrain.worktree, 'data', 'train.csv'), 'utf8'), readFileSync(picked, 'utf8'));
    assert.equal(
      readFileSync(join(repo, 'data', 'train.csv'), 'utf8'),
      workspaceCsv,
      'the workspace data is untouched',
    );
    const code = await launchReproduction(retrain, {
      cliPath: CLI_ENTRY,
      nodeArgs: ['--import', TSX_LOADER],
      stdio: 'ignore',
    });
    assert.equal(code, 0);
    const runs = join(repo, '.trackside', 'runs');
    const copy = await readRunInfo(join(runs, retrain.runId));
    assert.deepEqual(copy.params, { lr: 0.5, seed: 7 });
    assert.match(copy.name, /-retrain$/);
    assert.match(readFileSync(join(retrain.worktree, 'models', 'model.txt'), 'utf8'), /rows=6/);
    const { events } = await readAllEvents(join(runs, retrain.runId));
    assert.ok(events.some((e) => e.type === 'tag' && e.key === RETRAINED_FROM_TAG && e.value === originalId));
    assert.ok(!events.some((e) => e.type === 'tag' && e.key === DERIVED_FROM_TAG));

    // Tagged with the deployment whose report asked for it: deployment → report → retrained run.
    const store = IndexStore.openWorkspace(repo);
    try {
      await ingestAll(store, repo);
      const deployment = {
        id: 'dep-1',
        name: 'prod',
        target: 'lab',
        status: 'ready',
        digest: `sha256:${'b'.repeat(64)}`,
        modelRef: `r/x@sha256:${'b'.repeat(64)}`,
      } as unknown as DeploymentRecord;
      const graph = loadLineageGraph(store, [deployment]);
      const report = nodeId.driftReport('.trackside/drift/prod-1.json');
      assert.equal(graph.node(report)?.kind, 'drift-report');
      assert.ok(graph.downstream(nodeId.run(originalId)).has(nodeId.run(retrain.runId)), 'retrained-from');
      assert.ok(graph.downstream(nodeId.deployment('dep-1')).has(report));
      assert.ok(graph.downstream(report).has(nodeId.run(retrain.runId)));
    } finally {
      store.close();
    }
  });

  it('refuses to retrain on an input the run never logged, naming those it did', async () => {
    await assert.rejects(
      prepareReproduction({
        workspaceRoot: repo,
        runId: originalId,
        retrain: { input: 'data/other.csv', replacement: join(repo, 'data', 'train.csv') },
      }),
      (error: unknown) =>
        error instanceof ReproduceError && error.reason === 'input-not-found' && /data\/train\.csv/.test(error.message),
    );
  });

  it('refuses a run that has no commit, saying why', async () => {
    const { dir, cleanup: done } = tempDir('trackside-nogit-');
    try {
      mkdirSync(join(dir, '.trackside'));
      writeFileSync(join(dir, 'noop.py'), 'print(1)\n');
      const result = await runCli(['run', '--', PYTHON, 'noop.py'], { cwd: dir });
      assert.equal(result.code, 0, result.stderr);
      const { readdirSync } = await import('node:fs');
      const id = readdirSync(join(dir, '.trackside', 'runs'))[0] ?? '';
      await assert.rejects(
        prepareReproduction({ workspaceRoot: dir, runId: id }),
        (error: unknown) => error instanceof ReproduceError && error.reason === 'no-commit',
      );
    } finally {
      done();
    }
  });
});
