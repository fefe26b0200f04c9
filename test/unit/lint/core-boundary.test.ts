import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { ESLint } from 'eslint';

const fixture = 'test/fixtures/lint/src/core/imports-vscode.ts';

async function vscodeImportErrors(asPath: string): Promise<string[]> {
  const eslint = new ESLint();
  const [result] = await eslint.lintText(await readFile(fixture, 'utf8'), { filePath: asPath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

for (const folder of ['src/core/runs', 'src/protocol', 'src/cli', 'webview/compare']) {
  test(`lint rejects a vscode import under ${folder}/`, async () => {
    const errors = await vscodeImportErrors(`${folder}/imports-vscode.ts`);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /Only src\/extension\/ may import vscode/);
  });
}

test('lint allows a vscode import under src/extension/', async () => {
  assert.deepEqual(await vscodeImportErrors('src/extension/runs/imports-vscode.ts'), []);
});
