import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { contributionTables, withTables } from '../../../scripts/readme-contributions';

test("README's command and setting tables match package.json", async () => {
  const pkg = JSON.parse(await readFile('package.json', 'utf8'));
  const readme = await readFile('README.md', 'utf8');
  assert.equal(
    withTables(readme, contributionTables(pkg)),
    readme,
    'README.md is stale: run npx tsx scripts/readme-contributions.ts --write',
  );
});
