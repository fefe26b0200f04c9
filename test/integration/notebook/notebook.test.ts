import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { installPythonClient } from '../../../src/core/clients/install-python-client';
import { pythonClientDir } from '../../../src/core/clients/python-client-dir';
import { PYTHON } from '../../fixtures/python';

/**
 * "Install Python Client", then a real notebook executed by a real Jupyter kernel (Debian's
 * python3-ipykernel and python3-nbclient): the kernel imports the installed client and its run is
 * recorded like any other. PYTHONUSERBASE keeps the install inside the test's folder.
 */

const NOTEBOOK = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
  cells: [
    { cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: ['import trackside as ts\n'] },
    {
      cell_type: 'code',
      metadata: {},
      execution_count: null,
      outputs: [],
      source: [
        'ts.log_params({"lr": 0.05})\n',
        'for epoch in range(5):\n',
        '    ts.log({"loss": 1 / (epoch + 1)}, step=epoch)\n',
        'print("trained")\n',
      ],
    },
    { cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: ['ts.end_run()\n'] },
  ],
};

const EXECUTE = `
import sys, nbformat
from nbclient import NotebookClient
notebook = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": sys.argv[2]}}).execute()
print(notebook.cells[1].outputs[0]["text"].strip())
`;

describe('a notebook kernel with the installed Python client', () => {
  const root = mkdtempSync(join(tmpdir(), 'trackside-notebook-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('records the notebook’s run: params, metrics by step, and how it ended', async () => {
    const env = { ...process.env, PYTHONUSERBASE: join(root, 'userbase'), PYTHONPATH: '' };
    const { target } = await installPythonClient(PYTHON, pythonClientDir(), env);
    assert.ok(target.startsWith(join(root, 'userbase')), target);
    assert.ok(existsSync(join(target, 'trackside.py')));

    const workspace = join(root, 'project');
    mkdirSync(join(workspace, '.trackside'), { recursive: true });
    writeFileSync(join(workspace, 'train.ipynb'), JSON.stringify(NOTEBOOK));
    const { stdout } = await promisify(execFile)(PYTHON, ['-c', EXECUTE, join(workspace, 'train.ipynb'), workspace], {
      env,
      cwd: workspace,
      timeout: 180_000,
    });
    assert.equal(stdout.trim(), 'trained');

    const runs = readdirSync(join(workspace, '.trackside', 'runs'));
    assert.equal(runs.length, 1, 'one run for the notebook');
    const dir = join(workspace, '.trackside', 'runs', runs[0]!);
    const events = readFileSync(join(dir, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; key?: string; step?: number; value?: number });
    assert.deepEqual(
      events.filter((e) => e.type === 'metric' && e.key === 'loss').map((e) => [e.step, e.value]),
      [0, 1, 2, 3, 4].map((step) => [step, 1 / (step + 1)]),
    );
    const params = events.find((e) => e.type === 'params') as { values?: Record<string, unknown> } | undefined;
    assert.deepEqual(params?.values, { lr: 0.05 });
    const status = JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as { status: string };
    assert.equal(status.status, 'finished');
  });
});
