import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  MetricsHistory,
  histogramQuantile,
  parseMetrics,
  scrapeMetrics,
  windowBetween,
} from '../../../src/core/monitoring/metrics';
import { freePort } from '../../fixtures/deploy/service-process';
import { inferRequestFor, trainIrisModel, type TrainedModel } from '../../fixtures/deploy/trained-models';
import { RuntimeProcess } from '../../fixtures/monitoring/runtime-process';

describe('deployment metrics', () => {
  let dir: string;
  let model: TrainedModel;
  let endpoint: string;
  let server: RuntimeProcess;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trackside-metrics-'));
    model = trainIrisModel(dir, 'logistic');
    const port = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    server = RuntimeProcess.start(['--model-file', model.path, '--model-name', 'iris', '--port', String(port)]);
    await server.waitUntilReady(endpoint);
  });

  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts what serve.py answered, per version, and turns two readings into rates and quantiles', async () => {
    const history = new MetricsHistory();
    const first = await scrapeMetrics(endpoint);
    history.add(first);
    const send = (body: unknown) =>
      fetch(`${endpoint}/v2/models/iris/infer`, { method: 'POST', body: JSON.stringify(body) });
    for (let i = 0; i < 30; i++) assert.equal((await send(inferRequestFor(model.inputs))).status, 200);
    for (let i = 0; i < 5; i++) assert.equal((await send({ inputs: 'no' })).status, 400);
    const second = await scrapeMetrics(endpoint);
    const [window] = history.add(second);
    assert.ok(window);
    assert.equal(window.version, '1');
    assert.equal(window.requests, 35);
    assert.equal(window.errors, 5);
    assert.ok(Math.abs(window.errorRate - 5 / 35) < 1e-12);
    assert.ok(window.requestRate > 0);
    assert.ok(window.p50 !== null && window.p50 > 0 && window.p50 < 1, `p50 ${window.p50} s`);
    assert.ok(window.p95! >= window.p50!, 'p95 is at least p50');
    const total = second.versions[0]!;
    assert.equal(total.latency.count, total.requests, 'the histogram counted each request once');
    assert.equal(total.latency.buckets.at(-1)?.le, Infinity);
  });

  it('reads router weights and survives a counter reset', () => {
    const text = [
      'trackside_requests_total{model="m",version="sha256:a"} 10',
      'trackside_request_errors_total{model="m",version="sha256:a"} 1',
      'trackside_request_duration_seconds_bucket{model="m",version="sha256:a",le="0.01"} 4',
      'trackside_request_duration_seconds_bucket{model="m",version="sha256:a",le="0.1"} 10',
      'trackside_request_duration_seconds_bucket{model="m",version="sha256:a",le="+Inf"} 10',
      'trackside_route_weight{slot="a",version="sha256:a"} 80',
      'trackside_route_weight{slot="b",version="sha256:b"} 20',
    ].join('\n');
    const before = parseMetrics(text, 0);
    assert.deepEqual(before.routes, [
      { slot: 'a', version: 'sha256:a', weight: 80 },
      { slot: 'b', version: 'sha256:b', weight: 20 },
    ]);
    const restarted = parseMetrics(text.replace('} 10', '} 3'), 10_000);
    const [window] = windowBetween(parseMetrics(text.replaceAll('} 10', '} 50'), 0), restarted);
    assert.equal(window?.requests, 3, 'a smaller count means the server started counting again');
    assert.equal(histogramQuantile(0.5, before.versions[0]!.latency.buckets), 0.01 + (0.09 * 1) / 6);
    assert.equal(histogramQuantile(0.5, []), null);
  });
});
