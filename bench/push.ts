import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pushModel } from '../src/core/registry/push';
import { TestRegistry } from '../test/fixtures/registry/docker-registry';
import { sha256OfFile, writeRandomFile } from '../test/fixtures/registry/model-files';
import { ratioOf, type BenchResult } from './result';

const run = promisify(execFile);
const GiB = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;
const ROUNDS = 3;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/**
 * A 1 GiB model file pushed to a loopback CNCF distribution registry, against `curl -T` uploading
 * the same file to the same registry in the same run (POST to open the upload, then one streaming
 * PUT with the digest; the digest is computed beforehand and not timed), in alternating rounds.
 * Our push is timed whole: hashing (while the bytes go out, for a file it has not hashed before),
 * chunked upload, manifest. Peak RSS growth is sampled during the push;
 * the re-push of the unchanged model hits the hash cache and the registry's HEAD answers.
 */
export async function benchPush(): Promise<BenchResult[]> {
  const work = mkdtempSync(join(tmpdir(), 'trackside-bench-push-'));
  const registry = await TestRegistry.start();
  try {
    const modelDir = join(work, 'model');
    mkdirSync(modelDir);
    const file = join(modelDir, 'weights.safetensors');
    await writeRandomFile(file, GiB);
    const digest = await sha256OfFile(file);

    // Rounds alternate curl and our push, each after `sync`, so neither pays for the other's writes
    // still being flushed to disk; each round pushes to a fresh repository from a fresh workspace
    // (no hash cache: our push hashes the file every time). Medians are compared.
    const input = { path: modelDir, name: 'bench-model', version: '1', createdAt: '2025-01-01T00:00:00.000Z' };
    const curlTimes: number[] = [];
    const pushTimes: number[] = [];
    const baseRss = process.memoryUsage().rss;
    let peakRss = baseRss;
    let target = { endpoint: { url: registry.url }, repository: 'bench/trackside-0', tags: ['1'] };
    let workspaceRoot = work;
    for (let round = 0; round < ROUNDS; round++) {
      await run('sync');
      curlTimes.push(await curlUpload(registry.url, `bench/curl-${round}`, file, digest));
      await run('sync');
      target = { ...target, repository: `bench/trackside-${round}` };
      workspaceRoot = mkdtempSync(join(work, 'workspace-'));
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
      const start = process.hrtime.bigint();
      try {
        await pushModel(input, target, { workspaceRoot });
        pushTimes.push(Number(process.hrtime.bigint() - start) / 1e9);
      } finally {
        clearInterval(sampler);
      }
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    const pushSeconds = median(pushTimes);
    const curlSeconds = median(curlTimes);

    const again = process.hrtime.bigint();
    const second = await pushModel(input, target, { workspaceRoot });
    const repushSeconds = Number(process.hrtime.bigint() - again) / 1e9;
    if (second.bytesSent !== 0) throw new Error(`re-push sent ${second.bytesSent} bytes`);

    const ours = GiB / MiB / pushSeconds;
    const curl = GiB / MiB / curlSeconds;
    const ratio = ratioOf(ours, curl);
    const rssGrowth = (peakRss - baseRss) / MiB;
    return [
      {
        name: `push 1 GiB model (hash + upload) vs curl -T (median of ${ROUNDS}, alternating)`,
        value: round(ours),
        unit: 'MiB/s',
        baseline: round(curl),
        ratio: ratio === null ? null : round(ratio),
        goal: 'ratio ≥ 0.8',
        pass: ratio !== null && ratio >= 0.8,
      },
      {
        name: 'push 1 GiB model: peak RSS growth',
        value: round(rssGrowth),
        unit: 'MiB',
        baseline: null,
        ratio: null,
        goal: '≤ 64 MiB',
        pass: rssGrowth <= 64,
      },
      {
        name: 're-push of an unchanged 1 GiB model',
        value: round(repushSeconds * 1000),
        unit: 'ms',
        baseline: null,
        ratio: null,
        goal: '≤ 1000 ms',
        pass: repushSeconds <= 1,
      },
    ];
  } finally {
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

async function curlUpload(registryUrl: string, repository: string, file: string, digest: string): Promise<number> {
  const { stdout } = await run('curl', [
    '-sS',
    '-D',
    '-',
    '-o',
    '/dev/null',
    '-X',
    'POST',
    `${registryUrl}/v2/${repository}/blobs/uploads/`,
  ]);
  const location = /^location:\s*(\S+)/im.exec(stdout)?.[1];
  if (!location) throw new Error(`registry gave no upload location:\n${stdout}`);
  const url = new URL(location, registryUrl);
  url.searchParams.set('digest', digest);
  const start = process.hrtime.bigint();
  const { stdout: status } = await run('curl', [
    '-sS',
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    '-T',
    file,
    '-X',
    'PUT',
    '-H',
    'Content-Type: application/octet-stream',
    url.toString(),
  ]);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (status.trim() !== '201') throw new Error(`curl upload answered HTTP ${status}`);
  return seconds;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

if (process.argv[1] && /bench[/\\]push\.ts$/.test(process.argv[1])) {
  benchPush().then(
    (results) => console.log(JSON.stringify(results, null, 2)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
