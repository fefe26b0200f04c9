import assert from 'node:assert/strict';
import { test } from 'node:test';
import { declaredPythonParams, withParams } from '../../../src/core/runs/argv-params';
import { paramsFromArgs } from '../../../src/core/runs/command-line';

test('replaces values in the spelling the user wrote and appends new params', () => {
  const args = ['--lr', '0.1', '--max-iter=100', '-e', '5', '--verbose', 'data.csv'];
  const next = withParams(args, { lr: 0.05, max_iter: 200, e: 7, seed: 3 });
  assert.deepEqual(next, ['--lr', '0.05', '--max-iter=200', '-e', '7', '--verbose', 'data.csv', '--seed', '3']);
  assert.deepEqual(paramsFromArgs(next), { lr: 0.05, max_iter: 200, e: 7, verbose: 'data.csv', seed: 3 });
});

test('turns flags on and off', () => {
  assert.deepEqual(withParams(['--verbose', '--lr', '1'], { verbose: false }), ['--lr', '1']);
  assert.deepEqual(withParams(['--lr', '1'], { shuffle: true }), ['--lr', '1', '--shuffle']);
});

test('reads argparse declarations with literal defaults', () => {
  const source = `
parser = argparse.ArgumentParser()
parser.add_argument("--C", type=float, default=1.0, help="inverse regularisation")
parser.add_argument('-e', '--epochs', type=int, default=10)
parser.add_argument("--max-iter", type=int, default=int(1e3))
parser.add_argument("--shuffle", action="store_true")
parser.add_argument("--out", dest="output_dir", default="models")
parser.add_argument("data")
`;
  assert.deepEqual(declaredPythonParams(source), [
    { key: 'C', defaultValue: 1, help: 'inverse regularisation' },
    { key: 'epochs', defaultValue: 10 },
    { key: 'max_iter', defaultValue: undefined },
    { key: 'shuffle', defaultValue: false },
    { key: 'output_dir', defaultValue: 'models' },
  ]);
});
