import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DeployError } from '../../../src/core/deploy/errors';
import { isServerReady, sendInferRequest } from '../../../src/core/deploy/oip-client';
import { runtimeScriptPath } from '../../../src/core/deploy/runtime-command';
import { freePort } from '../../fixtures/deploy/service-process';
import { SYSTEM_PYTHON } from '../../fixtures/deploy/trained-models';

/** y = x · W + b with fixed weights, plus a second output (the row sums), as TorchScript. */
const exportScript = String.raw`
import sys, torch
class Affine(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.tensor([[1.0, -1.0], [2.0, 0.5], [0.0, 3.0]])
        self.bias = torch.tensor([0.5, -0.5])
    def forward(self, x):
        return x @ self.weight + self.bias, x.sum(dim=1)
torch.jit.script(Affine()).save(sys.argv[1])
`;

function runServer(args: string[]): { child: ChildProcess; output: () => string; exit: Promise<number> } {
  const child = spawn(SYSTEM_PYTHON, [runtimeScriptPath(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  return { child, output: () => output, exit };
}

describe('the model server (serve.py) with a TorchScript model', () => {
  let dir: string;
  let endpoint: string;
  let server: ReturnType<typeof runServer>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trackside-serve-'));
    // torch.jit.script reads the module's source, so the exporter must be a real file.
    writeFileSync(join(dir, 'export_affine.py'), exportScript);
    execFileSync(SYSTEM_PYTHON, [join(dir, 'export_affine.py'), join(dir, 'affine.pt')]);
    const port = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    server = runServer([
      '--model-file',
      join(dir, 'affine.pt'),
      '--model-name',
      'affine',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
    ]);
    const deadline = Date.now() + 30_000;
    while (!(await isServerReady(endpoint))) {
      if (server.child.exitCode !== null || Date.now() > deadline)
        assert.fail(`server did not get ready:\n${server.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  after(async () => {
    server?.child.kill('SIGTERM');
    await server?.exit;
    rmSync(dir, { recursive: true, force: true });
  });

  it('is live and ready, and describes the model', async () => {
    assert.equal((await fetch(`${endpoint}/v2/health/live`)).status, 200);
    const metadata = (await (await fetch(`${endpoint}/v2/models/affine`)).json()) as { name: string; platform: string };
    assert.equal(metadata.name, 'affine');
    assert.equal(metadata.platform, 'pytorch_torchscript');
  });

  it('answers an OIP v2 request with every output, shaped and typed', async () => {
    const response = await sendInferRequest(endpoint, 'affine', {
      id: 'req-1',
      inputs: [{ name: 'x', shape: [2, 3], datatype: 'FP32', data: [1, 2, 3, 0, 1, 0] }],
    });
    assert.equal(response.id, 'req-1');
    assert.equal(response.model_name, 'affine');
    const [affine, sums] = response.outputs;
    assert.deepEqual(affine, { name: 'output-0', shape: [2, 2], datatype: 'FP32', data: [5.5, 8.5, 2.5, 0] });
    assert.deepEqual(sums, { name: 'output-1', shape: [2], datatype: 'FP32', data: [6, 1] });
  });

  it('returns only the outputs a request names', async () => {
    const response = await sendInferRequest(endpoint, 'affine', {
      inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, 1, 1] }],
      outputs: [{ name: 'output-1' }],
    });
    assert.deepEqual(
      response.outputs.map((o) => [o.name, o.data]),
      [['output-1', [3]]],
    );
  });

  it('rejects a request whose data does not fit its shape, saying why', async () => {
    const error = await sendInferRequest(endpoint, 'affine', {
      inputs: [{ name: 'x', shape: [2, 3], datatype: 'FP32', data: [1, 2, 3] }],
    }).then(
      () => assert.fail('must be rejected'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof DeployError);
    assert.equal(error.reason, 'invalid-request');
    assert.match(error.message, /400/);
  });

  it('answers 404 for a model it does not serve', async () => {
    const response = await fetch(`${endpoint}/v2/models/other/infer`, { method: 'POST', body: '{}' });
    assert.equal(response.status, 404);
  });

  it('exits with the "port in use" code when its port is taken', async () => {
    const port = new URL(endpoint).port;
    const second = runServer([
      '--model-file',
      join(dir, 'affine.pt'),
      '--model-name',
      'a',
      '--host',
      '127.0.0.1',
      '--port',
      port,
    ]);
    assert.equal(await second.exit, 3, second.output());
  });

  it('exits with the "failed to load" code and the loader error for a broken TorchScript file', async () => {
    writeFileSync(join(dir, 'broken.pt'), 'not a zip archive');
    const broken = runServer([
      '--model-file',
      join(dir, 'broken.pt'),
      '--model-name',
      'b',
      '--host',
      '127.0.0.1',
      '--port',
      String(await freePort()),
    ]);
    assert.equal(await broken.exit, 5);
    assert.match(broken.output(), /model failed to load from broken\.pt: RuntimeError/);
  });
});
