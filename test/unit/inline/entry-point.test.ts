import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findEntryPointLine } from '../../../src/core/inline/entry-point';

test('prefers the __main__ guard', () => {
  const source = ['import os', '', 'def main():', '    pass', '', "if __name__ == '__main__':", '    main()'].join(
    '\n',
  );
  assert.equal(findEntryPointLine(source), 5);
});

test('else the first code line after shebang, comments and the module docstring', () => {
  const source = [
    '#!/usr/bin/env python3',
    '# training',
    '"""Trains a model.',
    '',
    'More text."""',
    '',
    'import torch',
  ];
  assert.equal(findEntryPointLine(source.join('\n')), 6);
  assert.equal(findEntryPointLine('"""One line docstring."""\nx = 1\n'), 1);
});

test('an empty file puts the lens on the first line', () => {
  assert.equal(findEntryPointLine(''), 0);
});
