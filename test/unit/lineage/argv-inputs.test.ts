import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { argvInputArtifacts, recognizeInputPaths, type PathProbe } from '../../../src/core/lineage/argv-inputs';
import { onlyRunDir, readAllEvents, runCli } from '../runs/run-fixtures';
import { PYTHON } from '../../fixtures/python';

const files: Record<string, 'file' | 'folder'> = {
  '/ws/data/train.csv': 'file',
  '/ws/data/images': 'folder',
  '/ws/out': 'folder',
  '/ws/pretrained.pt': 'file',
  '/shared/imagenet/val.csv': 'file',
  '/ws/.trackside/runs': 'folder',
};
const probe: PathProbe = (path) => files[path] ?? null;

describe('inputs recognised from the command line', () => {
  it('takes existing files and folders given as arguments, in every option form', () => {
    const found = recognizeInputPaths(
      ['data/train.csv', '--images=data/images', '--init', 'pretrained.pt', '--val', '/shared/imagenet/val.csv'],
      '/ws',
      '/ws',
      probe,
    );
    assert.deepEqual(
      found.map((f) => [f.path, f.type, f.kind]),
      [
        ['data/train.csv', 'file', 'dataset'],
        ['data/images', 'folder', 'dataset'],
        ['pretrained.pt', 'file', 'model'],
        ['/shared/imagenet/val.csv', 'file', 'dataset'],
      ],
    );
  });

  it('leaves out outputs, missing paths, non-paths, the workspace itself and the tracking folder', () => {
    const found = recognizeInputPaths(
      [
        '--output-dir',
        'out',
        '--save_dir=out',
        '--lr',
        '0.1',
        'missing.csv',
        '.',
        '..',
        '.trackside/runs',
        '--opt',
        'adam',
      ],
      '/ws',
      '/ws',
      probe,
    );
    assert.deepEqual(found, []);
  });

  it('resolves relative paths against the command’s folder', () => {
    const found = recognizeInputPaths(['../data/train.csv'], '/ws/src', '/ws', probe);
    assert.deepEqual(
      found.map((f) => f.path),
      ['data/train.csv'],
    );
  });

  it('hashes what it recognises into input artifact events, as the Python client would', async () => {
    const root = mkdtempSync(join(tmpdir(), 'trackside-argv-'));
    try {
      mkdirSync(join(root, 'data'));
      writeFileSync(join(root, 'data', 'train.csv'), 'a,b\n');
      const events = await argvInputArtifacts(['--data', 'data/train.csv', '--epochs', '3'], root, root);
      assert.deepEqual(
        events.map(({ ts: _ts, ...e }) => e),
        [
          {
            type: 'artifact',
            path: 'data/train.csv',
            role: 'input',
            kind: 'dataset',
            sha256: createHash('sha256').update('a,b\n').digest('hex'),
            size: 4,
          },
        ],
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('makes `trackside run` record the data a script was given, though the script never logs it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'trackside-argv-run-'));
    try {
      mkdirSync(join(root, '.trackside'));
      mkdirSync(join(root, 'data'));
      writeFileSync(join(root, 'data', 'train.csv'), 'a,b\n1,2\n');
      writeFileSync(join(root, 'train.py'), 'import sys\nprint(open(sys.argv[2]).read())\n');
      const result = await runCli(['run', '--', PYTHON, 'train.py', '--data', 'data/train.csv', '--out', 'data'], {
        cwd: root,
      });
      assert.equal(result.code, 0, result.stderr);
      const { events } = await readAllEvents(onlyRunDir(root));
      const inputs = events.filter((e) => e.type === 'artifact' && e.role === 'input');
      assert.deepEqual(
        inputs.map((e) => e.type === 'artifact' && [e.path, e.sha256]),
        [['data/train.csv', createHash('sha256').update('a,b\n1,2\n').digest('hex')]],
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
