import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ingestAll } from '../../../src/core/runs/ingest';
import { listRunIds, runsRoot } from '../../../src/core/runs/reader';
import { IndexStore } from '../../../src/core/store/database';
import { getMetricSeries } from '../../../src/core/store/metric-series';
import { getRunDetail } from '../../../src/core/store/run-detail';
import { queryRuns } from '../../../src/core/store/runs';
import { REPO_ROOT, git, readAllEvents, runCli, tempDir } from './run-fixtures';
import { PYTHON } from '../../fixtures/python';

/**
 * The demo scripts, run through `trackside run` in a git repository with an uncommitted change,
 * then ingested: the index holds what the run folders hold — params, every metric point, git
 * commit and dirty patch, environment, and inputs and models with their content hashes.
 */

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

let workspace: string;
let cleanup: () => void;
let store: IndexStore;
let head: string;

before(async () => {
  ({ dir: workspace, cleanup } = tempDir('trackside-demo-index-'));
  cpSync(join(REPO_ROOT, 'demo'), workspace, { recursive: true, filter: (p) => !p.includes('.trackside') });
  git(workspace, 'init', '-q', '-b', 'main');
  git(workspace, 'config', 'user.email', 'dev@example.com');
  git(workspace, 'config', 'user.name', 'Dev');
  git(workspace, 'add', '.');
  git(workspace, 'commit', '-q', '-m', 'demo');
  head = git(workspace, 'rev-parse', 'HEAD').trim();
  // An uncommitted change the runs must carry in their patch.
  writeFileSync(join(workspace, 'README.md'), `${readFileSync(join(workspace, 'README.md'), 'utf8')}\nTrying C=0.5.\n`);
  for (const command of [
    [PYTHON, 'train_digits.py', '--C', '0.5'],
    [PYTHON, 'train_mlp.py', '--epochs', '3'],
  ]) {
    const result = await runCli(['run', '--workspace', workspace, '--', ...command], { cwd: workspace });
    assert.equal(result.code, 0, result.stderr);
  }
  store = IndexStore.openWorkspace(workspace);
  await ingestAll(store, workspace);
});

after(() => {
  store?.close();
  cleanup();
});

test('both demo runs are in the index as finished, with git commit, dirty patch and environment', async () => {
  const { rows } = queryRuns(store, { direction: 'asc' });
  assert.deepEqual(
    rows.map((r) => [r.experiment, r.status, r.gitCommit, r.gitDirty]),
    [
      ['train_digits', 'finished', head, true],
      ['train_mlp', 'finished', head, true],
    ],
  );
  for (const runId of await listRunIds(workspace)) {
    const patch = readFileSync(join(runsRoot(workspace), runId, 'git.patch'), 'utf8');
    assert.match(patch, /\+Trying C=0\.5\./);
    const detail = getRunDetail(store, runId)!;
    assert.equal(detail.environment.interpreter, PYTHON);
    assert.ok((detail.environment.packages as Record<string, string>).sklearn, 'sklearn version recorded');
  }
});

test('params and every logged metric point reach the index', async () => {
  for (const runId of await listRunIds(workspace)) {
    const { events } = await readAllEvents(join(runsRoot(workspace), runId));
    const detail = getRunDetail(store, runId)!;
    const logged = new Map<string, number>();
    for (const e of events) if (e.type === 'metric') logged.set(e.key, (logged.get(e.key) ?? 0) + 1);
    assert.ok(logged.size > 0);
    for (const [key, count] of logged) {
      assert.equal(getMetricSeries(store, { runId, key })?.total, count, `${detail.experiment} ${key}`);
    }
    const params = Object.fromEntries(detail.params.map((p) => [p.key, p.number ?? p.text]));
    if (detail.experiment === 'train_digits') assert.equal(params.C, 0.5);
    else assert.equal(params.epochs, 3);
  }
});

test('the digits run records its input data and its model with their content hashes', async () => {
  const { rows } = queryRuns(store, { experiment: 'train_digits' });
  const detail = getRunDetail(store, rows[0]!.id)!;
  const input = detail.artifacts.find((a) => a.role === 'input' && a.path.endsWith('digits.csv'));
  assert.equal(input?.sha256, sha256(join(workspace, 'data', 'digits.csv')));
  const model = detail.artifacts.find((a) => a.kind === 'model');
  assert.ok(model, 'model artifact indexed');
  assert.equal(model.sha256, sha256(join(workspace, model.path)));
});
