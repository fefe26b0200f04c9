import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseMetrics } from '../../../src/core/monitoring/metrics';
import { RouterClient } from '../../../src/core/monitoring/router-client';
import { inferRequestFor, trainIrisModel, type TrainedModel } from '../../fixtures/deploy/trained-models';
import { freePortBlock } from '../../fixtures/monitoring/port-block';
import { RuntimeProcess } from '../../fixtures/monitoring/runtime-process';

/** router.py in front of two real serve.py processes on this machine. */

const ADMIN = 'admin-token-7d2e';

describe('the traffic router', () => {
  let dir: string;
  let model: TrainedModel;
  let ports: number[];
  let backends: RuntimeProcess[];
  let router: RuntimeProcess;
  let endpoint: string;
  const routes = (a: number, b: number) => [
    { slot: 'a', url: `http://127.0.0.1:${ports[1]}`, version: 'v-a', weight: a },
    { slot: 'b', url: `http://127.0.0.1:${ports[2]}`, version: 'v-b', weight: b },
  ];
  const infer = async () => {
    const response = await fetch(`${endpoint}/v2/models/iris/infer`, {
      method: 'POST',
      body: JSON.stringify(inferRequestFor(model.inputs)),
    });
    assert.equal(response.status, 200);
    await response.body?.cancel();
  };
  const requestsPerSlot = async () =>
    Object.fromEntries((await new RouterClient(endpoint, ADMIN).routes()).routes.map((r) => [r.slot, r.requests]));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trackside-router-'));
    model = trainIrisModel(dir, 'logistic');
    const base = await freePortBlock(3);
    ports = [base, base + 1, base + 2];
    // Two servers of the same file; the router tells them apart by the version its table names.
    backends = [1, 2].map((i) =>
      RuntimeProcess.start(['--model-file', model.path, '--model-name', 'iris', '--port', String(ports[i])]),
    );
    await Promise.all(backends.map((b, i) => b.waitUntilReady(`http://127.0.0.1:${ports[i + 1]}`)));
    endpoint = `http://127.0.0.1:${ports[0]}`;
    router = RuntimeProcess.start(
      ['--model-name', 'iris', '--port', String(ports[0]), '--routes', JSON.stringify(routes(80, 20))],
      { TRACKSIDE_ROUTER_ADMIN_TOKEN: ADMIN },
      'router.py',
    );
    await router.waitUntilReady(endpoint);
  });

  after(async () => {
    await Promise.all([router, ...backends].map((p) => p?.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('splits requests exactly by weight and counts them per version in /metrics', async () => {
    for (let i = 0; i < 100; i++) await infer();
    const snapshot = parseMetrics(await (await fetch(`${endpoint}/metrics`)).text());
    assert.deepEqual(
      snapshot.versions.map((v) => [v.version, v.requests]),
      [
        ['v-a', 80],
        ['v-b', 20],
      ],
    );
    assert.deepEqual(
      snapshot.routes.map((r) => [r.slot, r.weight]),
      [
        ['a', 80],
        ['b', 20],
      ],
    );
  });

  it('changes its table only with the admin token, and refuses a table that sends nothing anywhere', async () => {
    const put = (token: string, body: unknown) =>
      fetch(`${endpoint}/-/routes`, {
        method: 'PUT',
        headers: { Authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
    assert.equal((await put('wrong', { routes: routes(0, 100) })).status, 403);
    assert.equal((await fetch(`${endpoint}/-/routes`)).status, 403);
    assert.equal((await put(ADMIN, { routes: routes(0, 0) })).status, 400);
    const client = new RouterClient(endpoint, ADMIN);
    const table = await client.setRoutes(routes(0, 100));
    assert.deepEqual(
      table.routes.map((r) => [r.slot, r.weight, r.requests]),
      [
        ['a', 0, 80],
        ['b', 100, 20],
      ],
      'counters survive the change',
    );
    for (let i = 0; i < 10; i++) await infer();
    assert.deepEqual(await requestsPerSlot(), { a: 80, b: 30 });
  });

  it('sends a request to the other backend when one refuses the connection', async () => {
    await new RouterClient(endpoint, ADMIN).setRoutes(routes(50, 50));
    await backends[0]!.stop();
    const before = await requestsPerSlot();
    for (let i = 0; i < 10; i++) await infer();
    const after = await requestsPerSlot();
    assert.equal((after.b ?? 0) - (before.b ?? 0), 10, 'every request was answered by b');
    assert.equal(after.a, before.a, 'a, which refused them, answered none');
  });
});
