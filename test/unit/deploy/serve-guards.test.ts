import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../fixtures/deploy/service-process';
import { inferRequestFor, trainIrisModel, type TrainedModel } from '../../fixtures/deploy/trained-models';
import { RuntimeProcess, rawExchange, statusOf } from '../../fixtures/monitoring/runtime-process';

/** Hardening of the model server (serve.py), each case against a real server process. */

const TOKEN = 'test-token-3f1c';

function nonLoopbackAddress(): string | undefined {
  for (const entries of Object.values(networkInterfaces())) {
    const found = entries?.find((e) => e.family === 'IPv4' && !e.internal);
    if (found) return found.address;
  }
  return undefined;
}

function rawPost(path: string, headers: string[], body = ''): string {
  return [`POST ${path} HTTP/1.1`, 'Host: test', `Authorization: Bearer ${TOKEN}`, ...headers, '', body].join('\r\n');
}

describe('the model server guards every request', () => {
  let dir: string;
  let model: TrainedModel;
  let port: number;
  let endpoint: string;
  let server: RuntimeProcess;
  const infer = () => `${endpoint}/v2/models/iris/infer`;
  const authorized = { Authorization: `Bearer ${TOKEN}` };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trackside-serve-guards-'));
    model = trainIrisModel(dir, 'logistic');
    port = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    // No --host: the default must keep it on the loopback interface.
    server = RuntimeProcess.start(
      ['--model-file', model.path, '--model-name', 'iris', '--port', String(port)].concat([
        '--max-body-bytes',
        '4096',
        '--max-json-depth',
        '8',
        '--max-rows',
        '20',
      ]),
      { TRACKSIDE_AUTH_TOKEN: TOKEN },
    );
    await server.waitUntilReady(endpoint);
  });

  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 unless told otherwise', async () => {
    assert.match(server.log, new RegExp(`listening on 127\\.0\\.0\\.1:${port}`));
    const other = nonLoopbackAddress();
    if (other) {
      await assert.rejects(fetch(`http://${other}:${port}/healthz`), 'not reachable on another address');
    }
  });

  it('serves on another address when --host names it', async (t) => {
    const other = nonLoopbackAddress();
    if (!other) return t.skip('this machine has no address but loopback');
    const exposedPort = await freePort();
    const exposed = RuntimeProcess.start([
      '--model-file',
      model.path,
      '--model-name',
      'iris',
      '--host',
      '0.0.0.0',
      '--port',
      String(exposedPort),
    ]);
    try {
      await exposed.waitUntilReady(`http://${other}:${exposedPort}`);
    } finally {
      await exposed.stop();
    }
  });

  it('asks for the bearer token on every route but the health checks', async () => {
    for (const path of ['/healthz', '/v2/health/live', '/v2/health/ready']) {
      assert.equal((await fetch(`${endpoint}${path}`)).status, 200, `${path} is open`);
    }
    for (const path of ['/metrics', '/v2', '/v2/models/iris', '/v2/models/iris/ready', '/no/such/route']) {
      const response = await fetch(`${endpoint}${path}`);
      assert.equal(response.status, 401, `${path} needs the token`);
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer/);
    }
    const body = JSON.stringify(inferRequestFor(model.inputs));
    assert.equal((await fetch(infer(), { method: 'POST', body })).status, 401);
    assert.equal(
      (await fetch(infer(), { method: 'POST', body, headers: { Authorization: 'Bearer wrong' } })).status,
      401,
    );
    const answered = await fetch(infer(), { method: 'POST', body, headers: authorized });
    assert.equal(answered.status, 200);
    const outputs = ((await answered.json()) as { outputs: { data: number[] }[] }).outputs;
    assert.deepEqual(outputs[0]?.data, model.predictions);
  });

  it('answers 411 to a body without a Content-Length, and 400 to a negative or garbled one', async () => {
    const chunked = await fetch(infer(), {
      method: 'POST',
      headers: authorized,
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"inputs": []}'));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    assert.equal(chunked.status, 411);
    assert.equal(statusOf(await rawExchange(port, rawPost('/v2/models/iris/infer', ['Connection: close'], '{}'))), 411);
    assert.equal(
      statusOf(await rawExchange(port, rawPost('/v2/models/iris/infer', ['Content-Length: -5'], '{}'))),
      400,
    );
    assert.equal(
      statusOf(await rawExchange(port, rawPost('/v2/models/iris/infer', ['Content-Length: 1_0'], '{}'))),
      400,
    );
  });

  it('answers 413 to a body over the limit, readably, before or without reading it', async () => {
    const big = 'x'.repeat(64 * 1024);
    const raw = await rawExchange(port, rawPost('/v2/models/iris/infer', [`Content-Length: ${big.length}`], big));
    assert.equal(statusOf(raw), 413, raw.slice(0, 200));
    assert.match(raw, /over this server's limit of 4096 bytes/);
    const expecting = await rawExchange(
      port,
      rawPost('/v2/models/iris/infer', [`Content-Length: ${big.length}`, 'Expect: 100-continue'], ''),
    );
    assert.equal(statusOf(expecting), 413, 'a client that asks first is told before it sends');
  });

  it('answers 400 to a body that is not JSON, not UTF-8, or nested too deep', async () => {
    const post = (body: BodyInit) => fetch(infer(), { method: 'POST', headers: authorized, body });
    const notJson = await post('inputs: yes');
    assert.equal(notJson.status, 400);
    assert.match(((await notJson.json()) as { error: string }).error, /not JSON/);
    assert.equal((await post(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))).status, 400);
    const deep = await post(`{"inputs": ${'['.repeat(9)}${']'.repeat(9)}}`);
    assert.equal(deep.status, 400);
    assert.match(((await deep.json()) as { error: string }).error, /deeper than 8 levels/);
    const veryDeep = await post('['.repeat(2000) + ']'.repeat(2000));
    assert.equal(veryDeep.status, 400, 'nesting past Python’s own recursion limit is answered too');
  });

  it('answers 413 to more rows than it takes in one request', async () => {
    const rows = Array.from({ length: 21 }, () => model.inputs[0]!);
    const response = await fetch(infer(), {
      method: 'POST',
      headers: authorized,
      body: JSON.stringify(inferRequestFor(rows)),
    });
    assert.equal(response.status, 413);
    assert.match(((await response.json()) as { error: string }).error, /21 rows; this server takes at most 20/);
  });

  it('keeps serving after all of that', async () => {
    const response = await fetch(infer(), {
      method: 'POST',
      headers: authorized,
      body: JSON.stringify(inferRequestFor(model.inputs)),
    });
    assert.equal(response.status, 200);
    assert.equal(server.child.exitCode, null);
  });
});

describe('the model server’s prediction log', () => {
  let dir: string;
  let model: TrainedModel;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'trackside-serve-log-'));
    model = trainIrisModel(dir, 'logistic');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function serveAndSend(args: string[], requests: number): Promise<void> {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const server = RuntimeProcess.start([
      '--model-file',
      model.path,
      '--model-name',
      'iris',
      '--port',
      String(port),
      ...args,
    ]);
    try {
      await server.waitUntilReady(endpoint);
      for (let i = 0; i < requests; i++) {
        const response = await fetch(`${endpoint}/v2/models/iris/infer`, {
          method: 'POST',
          body: JSON.stringify({ id: `r${i}`, ...inferRequestFor([model.inputs[i % model.inputs.length]!]) }),
        });
        assert.equal(response.status, 200);
      }
    } finally {
      assert.equal(await server.stop(), 0, 'SIGTERM drains and exits 0');
    }
  }

  it('rotates at its size limit, keeps the number of files asked for, and continues after a restart', async () => {
    const logDir = join(dir, 'rotating');
    const args = ['--prediction-log', join(logDir, 'iris.jsonl'), '--log-max-bytes', '2048', '--log-files', '2'];
    await serveAndSend(args, 40);
    const files = readdirSync(logDir).sort();
    assert.deepEqual(files, ['iris.jsonl', 'iris.jsonl.1']);
    for (const file of files) assert.ok(statSync(join(logDir, file)).size <= 2048, `${file} is within the limit`);
    const newest = readFileSync(join(logDir, 'iris.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string });
    assert.equal(newest.at(-1)?.id, 'r39', 'the last request is in the current file');

    await serveAndSend(args, 1);
    const after = readFileSync(join(logDir, 'iris.jsonl'), 'utf8').trim().split('\n');
    assert.equal((JSON.parse(after.at(-1)!) as { id: string }).id, 'r0', 'a restarted server appends');
  });

  it('logs a share of the requests at a sample rate, and nothing at 0', async () => {
    const sampled = join(dir, 'sampled', 'iris.jsonl');
    await serveAndSend(['--prediction-log', sampled, '--sample-rate', '0.3'], 200);
    const lines = readFileSync(sampled, 'utf8').trim().split('\n').length;
    // Binomial(200, 0.3): 60 ± 6.5; a band of five standard deviations.
    assert.ok(lines >= 28 && lines <= 92, `${lines} of 200 requests logged at 30%`);
    const off = join(dir, 'off', 'iris.jsonl');
    await serveAndSend(['--prediction-log', off, '--sample-rate', '0'], 5);
    assert.throws(() => statSync(off), 'no log at sample rate 0');
  });
});
