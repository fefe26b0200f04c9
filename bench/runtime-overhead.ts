import { execFileSync } from 'node:child_process';
import { Agent, request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SYSTEM_PYTHON } from '../test/fixtures/deploy/trained-models';
import { RuntimeProcess } from '../test/fixtures/monitoring/runtime-process';
import { freePortBlock } from '../test/fixtures/monitoring/port-block';
import { ratioOf, type BenchResult } from './result';

const RATE = 500;
const SECONDS = 8;
const WARMUP_SECONDS = 1;

const trainDigits = String.raw`
import json, pickle, sys
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
X, y = load_digits(return_X_y=True)
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300)).fit(X, y)
pickle.dump(model, open(sys.argv[1], "wb"))
print(json.dumps(X[:50].tolist()))
`;

interface Timed {
  latencies: number[];
  failed: number;
}

function post(agent: Agent, port: number, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/v2/models/digits/infer',
        method: 'POST',
        agent,
        headers: { 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(Number(process.hrtime.bigint() - started) / 1e6)
            : reject(new Error(`status ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Open-loop load: every 1/RATE seconds one request to each server, in alternating order, so both
 * see the same machine at the same moment; a request is sent on schedule whether or not the last
 * one came back.
 */
async function interleavedLoad(ports: [number, number], bodies: string[]): Promise<[Timed, Timed]> {
  const agents = ports.map(() => new Agent({ keepAlive: true, maxSockets: 64 }));
  const results: [Timed, Timed] = [
    { latencies: [], failed: 0 },
    { latencies: [], failed: 0 },
  ];
  const pending: Promise<void>[] = [];
  const start = performance.now();
  const total = RATE * (SECONDS + WARMUP_SECONDS);
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const order = i % 2 === 0 ? [0, 1] : [1, 0];
    for (const s of order) {
      const body = bodies[i % bodies.length]!;
      pending.push(
        post(agents[s]!, ports[s]!, body).then(
          (ms) => {
            if (i >= RATE * WARMUP_SECONDS) results[s]!.latencies.push(ms);
          },
          () => {
            results[s]!.failed++;
          },
        ),
      );
    }
  }
  await Promise.all(pending);
  agents.forEach((a) => a.destroy());
  return results;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/**
 * What the prediction log and /metrics cost per request: two serve.py processes with the same digits
 * model side by side, one logging every request (sample rate 1) and counting, one with both off,
 * each at 500 requests/s for 8 s; the figure is the p50 latency of the first over the second's.
 */
export async function benchRuntimeOverhead(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'trackside-bench-runtime-'));
  const servers: RuntimeProcess[] = [];
  try {
    const model = join(dir, 'digits.pkl');
    const rows = JSON.parse(
      execFileSync(SYSTEM_PYTHON, ['-c', trainDigits, model], { encoding: 'utf8' }),
    ) as number[][];
    const bodies = rows.map((row) =>
      JSON.stringify({ inputs: [{ name: 'input-0', shape: [1, 64], datatype: 'FP64', data: row }] }),
    );
    const base = await freePortBlock(2);
    const ports: [number, number] = [base, base + 1];
    const logPath = join(dir, 'predictions', 'digits.jsonl');
    const common = ['--model-file', model, '--model-name', 'digits'];
    servers.push(
      RuntimeProcess.start([...common, '--port', String(ports[0]), '--prediction-log', logPath, '--sample-rate', '1']),
    );
    servers.push(RuntimeProcess.start([...common, '--port', String(ports[1]), '--sample-rate', '0', '--no-metrics']));
    await Promise.all(servers.map((s, i) => s.waitUntilReady(`http://127.0.0.1:${ports[i]}`)));

    const [monitored, plain] = await interleavedLoad(ports, bodies);
    if (monitored.failed + plain.failed > 0) {
      throw new Error(`${monitored.failed + plain.failed} requests failed during the runtime benchmark`);
    }
    await Promise.all(servers.map((s) => s.stop()));
    const logged = readFileSync(logPath, 'utf8').trim().split('\n').length;
    const expected = RATE * (SECONDS + WARMUP_SECONDS);
    if (logged !== expected) throw new Error(`the prediction log holds ${logged} requests, expected ${expected}`);
    const withLog = median(monitored.latencies);
    const without = median(plain.latencies);
    const overhead = ratioOf(withLog - without, without) ?? 0;
    return [
      {
        name: `runtime p50 latency with prediction log + metrics (vs both off), ${RATE} requests/s each`,
        value: Number(withLog.toFixed(3)),
        unit: 'ms',
        baseline: Number(without.toFixed(3)),
        ratio: ratioOf(withLog, without),
        goal: 'overhead ≤ 10% of p50 (ratio ≤ 1.10)',
        pass: overhead <= 0.1,
      },
    ];
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}
