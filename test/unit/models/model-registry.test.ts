import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ModelRegistryError } from '../../../src/core/models/errors';
import { auditEntries, listModels } from '../../../src/core/store/models';
import { ingestAll } from '../../../src/core/runs/ingest';
import { reindex } from '../../../src/core/runs/reindex';
import { IndexStore, indexPath } from '../../../src/core/store/database';
import { modelRegistryOver } from '../../../src/core/workspace/workspace';
import { verifiedVersionFile } from '../../../src/core/models/model-registry';
import { TempWorkspace } from '../../fixtures/run-folder-builder';
import { git, runCli } from '../runs/run-fixtures';

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);

describe('model registry', () => {
  let ws: TempWorkspace;
  let store: IndexStore;

  beforeEach(async () => {
    ws = new TempWorkspace('trackside-models-');
    git(ws.root, 'init', '-q');
    git(ws.root, 'config', 'user.email', 'alice@example.com');
    mkdirSync(join(ws.root, 'models'));
    writeFileSync(join(ws.root, 'models', 'clf.pkl'), 'weights v1');
    ws.run(1)
      .writeInfo()
      .writeStatus()
      .events([
        { type: 'artifact', path: 'data/train.csv', role: 'input', kind: 'dataset', sha256: SHA_B, size: 10 },
        {
          type: 'artifact',
          path: 'models/clf.pkl',
          role: 'output',
          kind: 'model',
          name: 'digits',
          sha256: SHA_A,
          size: 10,
        },
      ]);
    ws.run(2)
      .writeInfo()
      .writeStatus()
      .events([{ type: 'artifact', path: 'models/clf.pkl', role: 'output', kind: 'model', name: 'digits' }]);
    store = IndexStore.openWorkspace(ws.root);
    await ingestAll(store, ws.root);
  });

  afterEach(() => {
    store.close();
    ws.cleanup();
  });

  it('registers a run’s model artifact under its logged name with automatic versions', async () => {
    const registry = modelRegistryOver(store, ws.root);
    const first = await registry.register({ runId: ws.run(1).id, artifactPath: 'models/clf.pkl' });
    assert.equal(first.name, 'digits');
    assert.equal(first.version, 1);
    assert.equal(first.sha256, SHA_A);
    // The second run logged no hash: the file is hashed when it is registered.
    const second = await registry.register({ runId: ws.run(2).id, artifactPath: 'models/clf.pkl' });
    assert.equal(second.version, 2);
    assert.match(second.sha256 ?? '', /^[0-9a-f]{64}$/);
    assert.notEqual(second.sha256, SHA_A);

    // Registering the same artifact again is not a new version.
    const again = await registry.register({ runId: ws.run(1).id, artifactPath: 'models/clf.pkl' });
    assert.equal(again.version, 1);
    assert.equal(again.created, false);

    const [model] = listModels(store);
    assert.equal(model?.name, 'digits');
    assert.deepEqual(
      model?.versions.map((v) => [v.version, v.runName]),
      [
        [2, 'run-2'],
        [1, 'run-1'],
      ],
    );
  });

  it('a push gets the registered bytes only: a file changed since, or a record naming another file, is refused', async () => {
    const registry = modelRegistryOver(store, ws.root);
    const version = await registry.register({ runId: ws.run(2).id, artifactPath: 'models/clf.pkl' });
    const row = {
      name: version.name,
      version: version.version,
      artifactPath: 'models/clf.pkl',
      sha256: version.sha256,
    };
    assert.equal(await verifiedVersionFile(ws.root, row), join(ws.root, 'models', 'clf.pkl'));
    // Retrained in place after registration: what is at the path is no longer v2.
    writeFileSync(join(ws.root, 'models', 'clf.pkl'), 'weights v2, retrained');
    await assert.rejects(
      verifiedVersionFile(ws.root, row),
      (error: unknown) =>
        error instanceof ModelRegistryError &&
        error.reason === 'artifact-changed' &&
        /models\/clf\.pkl changed since it was registered .*register the new file as a new version/.test(error.message),
    );
    // A record from someone else's repository that names a file outside the workspace.
    const crafted = { name: 'digits', version: 9, artifactPath: '/etc/passwd', sha256: 'c'.repeat(64) };
    await assert.rejects(verifiedVersionFile(ws.root, crafted), /\/etc\/passwd changed since it was registered/);
    await assert.rejects(verifiedVersionFile(ws.root, { ...crafted, sha256: null }), /registered without a sha256/);
  });

  it('refuses artifacts the run did not output, with the outputs it did log', async () => {
    const registry = modelRegistryOver(store, ws.root);
    await assert.rejects(
      registry.register({ runId: ws.run(1).id, artifactPath: 'data/train.csv' }),
      (error: unknown) =>
        error instanceof ModelRegistryError &&
        error.reason === 'no-such-artifact' &&
        /models\/clf\.pkl/.test(error.message),
    );
    await assert.rejects(
      registry.register({ runId: ws.run(1).id, artifactPath: 'models/clf.pkl', name: 'bad name!' }),
      (error: unknown) => error instanceof ModelRegistryError && error.reason === 'invalid-name',
    );
  });

  it('moves aliases between versions and records every change in the audit log with actor and time', async () => {
    const registry = modelRegistryOver(store, ws.root);
    await registry.register({ runId: ws.run(1).id, artifactPath: 'models/clf.pkl' });
    await registry.register({ runId: ws.run(2).id, artifactPath: 'models/clf.pkl' });
    await registry.setAlias('digits', 'champion', 1);
    await registry.setAlias('digits', 'challenger', 2);
    const moved = await registry.setAlias('digits', 'champion', 2);
    assert.equal(moved.previous, 1);
    await registry.removeAlias('digits', 'challenger');

    const versions = listModels(store)[0]?.versions ?? [];
    assert.deepEqual(
      versions.map((v) => [v.version, v.aliases]),
      [
        [2, ['champion']],
        [1, []],
      ],
    );
    await assert.rejects(
      registry.setAlias('digits', 'champion', 7),
      (e: unknown) => e instanceof ModelRegistryError && e.reason === 'no-such-version',
    );
    await assert.rejects(
      registry.setAlias('digits', '42', 1),
      (e: unknown) => e instanceof ModelRegistryError && e.reason === 'invalid-alias',
    );

    const audit = auditEntries(store);
    assert.deepEqual(audit.map((a) => [a.action, a.subject]).reverse(), [
      ['model.register', 'digits@1'],
      ['model.register', 'digits@2'],
      ['model.alias.set', 'digits@champion'],
      ['model.alias.set', 'digits@challenger'],
      ['model.alias.set', 'digits@champion'],
      ['model.alias.remove', 'digits@challenger'],
    ]);
    for (const entry of audit) {
      assert.equal(entry.actor, 'alice@example.com');
      assert.ok(Date.now() - Date.parse(entry.at) < 60_000, `a recent ISO time, got ${entry.at}`);
    }
    const move = audit.find((a) => a.action === 'model.alias.set' && a.detail.previous === 1);
    assert.deepEqual(move?.detail, { alias: 'champion', version: 2, previous: 1 });
  });

  it('keeps registrations, aliases and the audit log through `reindex` and a deleted index', async () => {
    const registry = modelRegistryOver(store, ws.root);
    await registry.register({ runId: ws.run(1).id, artifactPath: 'models/clf.pkl' });
    await registry.register({ runId: ws.run(2).id, artifactPath: 'models/clf.pkl' });
    await registry.setAlias('digits', 'champion', 2);
    const models = listModels(store);
    const audit = auditEntries(store);

    await reindex(store, ws.root);
    assert.deepEqual(listModels(store), models);
    assert.deepEqual(
      auditEntries(store).map(({ seq: _seq, ...rest }) => rest),
      audit.map(({ seq: _seq, ...rest }) => rest),
    );

    store.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${indexPath(ws.root)}${suffix}`, { force: true });
    store = IndexStore.openWorkspace(ws.root);
    await reindex(store, ws.root);
    assert.deepEqual(listModels(store), models);
    assert.equal(auditEntries(store).length, audit.length);
  });

  it('keeps the audit table append-only', async () => {
    await modelRegistryOver(store, ws.root).register({ runId: ws.run(1).id, artifactPath: 'models/clf.pkl' });
    assert.throws(() => store.db.exec("UPDATE audit SET actor = 'mallory'"), /append-only/);
    assert.throws(() => store.db.exec('DELETE FROM audit'), /append-only/);
    assert.equal(auditEntries(store)[0]?.actor, 'alice@example.com');
  });

  it('hands out distinct versions when two windows register at once', async () => {
    const other = IndexStore.openWorkspace(ws.root);
    try {
      const [a, b] = await Promise.all([
        modelRegistryOver(store, ws.root).register({ runId: ws.run(1).id, artifactPath: 'models/clf.pkl', name: 'm' }),
        modelRegistryOver(other, ws.root).register({ runId: ws.run(2).id, artifactPath: 'models/clf.pkl', name: 'm' }),
      ]);
      assert.deepEqual([a.version, b.version].sort(), [1, 2]);
      // Each window's index applied both lines exactly once.
      assert.equal(listModels(store)[0]?.versions.length, 2);
      assert.equal(auditEntries(store).length, 2);
    } finally {
      other.close();
    }
  });

  it('survives the `trackside reindex` command', async () => {
    const registry = modelRegistryOver(store, ws.root);
    await registry.register({ runId: ws.run(1).id, artifactPath: 'models/clf.pkl' });
    await registry.setAlias('digits', 'champion', 1);
    // From a lost index: only the journals can bring the models back.
    store.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${indexPath(ws.root)}${suffix}`, { force: true });
    const result = await runCli(['reindex', '--workspace', ws.root], { cwd: ws.root });
    assert.equal(result.code, 0, result.stderr);
    store = IndexStore.openWorkspace(ws.root);
    assert.deepEqual(
      listModels(store)[0]?.versions.map((v) => [v.version, v.aliases]),
      [[1, ['champion']]],
    );
    assert.deepEqual(
      auditEntries(store).map((a) => [a.action, a.actor]),
      [
        ['model.alias.set', 'alice@example.com'],
        ['model.register', 'alice@example.com'],
      ],
    );
  });
});
