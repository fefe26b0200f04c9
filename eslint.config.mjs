import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const noVscode = {
  paths: [
    {
      name: 'vscode',
      message: 'Only src/extension/ may import vscode: core, protocol, CLI and webviews run without it.',
    },
  ],
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
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    files: ['src/core/**', 'src/protocol/**', 'src/cli/**', 'webview/**'],
    rules: { 'no-restricted-imports': ['error', noVscode] },
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
