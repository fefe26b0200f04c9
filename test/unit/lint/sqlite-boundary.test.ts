import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { ESLint } from 'eslint';

const fixture = 'test/fixtures/lint/src/core/imports-sqlite.ts';
const SQLITE_RULE = /Only the drivers in src\/core\/store\/ load SQLite/;

async function sqliteErrors(asPath: string): Promise<string[]> {
  const eslint = new ESLint();
  const [result] = await eslint.lintText(await readFile(fixture, 'utf8'), { filePath: asPath });
  return (result?.messages ?? []).filter((m) => SQLITE_RULE.test(m.message)).map((m) => m.message);
}

for (const path of [
  'src/core/runs/ingest.ts',
  'src/core/store/queries-runs.ts',
  'src/extension/workspace/folder-service.ts',
  'src/cli/commands/ls.ts',
  'bench/ingest.ts',
  'test/unit/store/queries.test.ts',
]) {
  test(`lint rejects importing or requiring a SQLite library in ${path}`, async () => {
    // The import of better-sqlite3, the import of node:sqlite, and the require of node:sqlite.
    assert.equal((await sqliteErrors(path)).length, 3);
  });
}

test('lint allows the driver adapters to load their library', async () => {
  assert.deepEqual(await sqliteErrors('src/core/store/driver-node-sqlite.ts'), []);
});

test('no file outside src/core/store/ names a SQLite library in an import or require', () => {
  // git grep sees every tracked source file, whatever the lint configuration covers.
  const hits = execFileSync(
    'git',
    [
      'grep',
      '--untracked',
      '-nE',
      `(from |import |require\\()'(better-sqlite3|node:sqlite)'`,
      '--',
      '*.ts',
      '*.mjs',
      '*.js',
    ],
    { encoding: 'utf8' },
  ).trim();
  const outside = hits
    .split('\n')
    .filter((line) => line && !line.startsWith('src/core/store/driver-') && !line.startsWith('test/fixtures/lint/'));
  assert.deepEqual(outside, []);
});

test('no SQL outside src/core/store/: every query lives in a store module named by its concept', () => {
  const hits = execFileSync(
    'git',
    [
      'grep',
      '--untracked',
      '-nE',
      '\\.(query|prepare)\\(|\\b(SELECT|INSERT INTO|DELETE FROM) |\\bUPDATE [a-z_]+ SET\\b',
      '--',
      'src/*.ts',
      'webview/*.ts',
    ],
    { encoding: 'utf8' },
  )
    .trim()
    .split('\n')
    .filter((line) => line && !line.startsWith('src/core/store/'));
  assert.deepEqual(hits, []);
});
