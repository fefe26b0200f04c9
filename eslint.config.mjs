import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const noVscode = {
  name: 'vscode',
  message: 'Only src/extension/ may import vscode: core, protocol, CLI and webviews run without it.',
};

// The index opens through src/core/store/sqlite.ts; only its two driver adapters load a SQLite library.
const sqliteLibraries = ['better-sqlite3', 'node:sqlite'];
const sqliteMessage = 'Only the drivers in src/core/store/ load SQLite: open the index with IndexStore or openSqlite.';
const noSqlite = sqliteLibraries.map((name) => ({ name, message: sqliteMessage }));
const noDefaultExport = { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' };
const noSqliteRequire = {
  selector: `CallExpression[callee.name='require'][arguments.0.value=/^(${sqliteLibraries.join('|')})$/]`,
  message: sqliteMessage,
};

export default tseslint.config(
  {
    ignores: ['node_modules/', 'dist/', '.vscode-test/', 'test-results/', '.tmp/', 'demo/', 'test/fixtures/lint/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', noDefaultExport, noSqliteRequire],
      'no-restricted-imports': ['error', { paths: noSqlite }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    files: ['src/core/**', 'src/protocol/**', 'src/cli/**', 'webview/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode, ...noSqlite] }] },
  },
  {
    files: ['src/core/store/driver-*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [noVscode] }],
      'no-restricted-syntax': ['error', noDefaultExport],
    },
  },
  {
    files: ['webview/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['*.mjs'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
