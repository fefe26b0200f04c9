import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runtimeScriptPath } from '../../../src/core/deploy/runtime-command';
import { SYSTEM_PYTHON } from '../../fixtures/deploy/trained-models';

/**
 * Where the model server sends registry credentials when it pulls. The registries here are small
 * HTTP servers written for the test: the Debian registry cannot send its token requests to another
 * host or redirect blobs to a storage host, which is what real hosted registries do.
 */

const CREDENTIALS = `Basic ${Buffer.from('deployer:s3cret').toString('base64')}`;

interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
}

function listen(
  host: string,
  handle: (url: string, headers: IncomingHttpHeaders) => [number, Record<string, string>, Buffer | string],
) {
  const seen: Seen[] = [];
  const server: Server = createServer((request, response) => {
    seen.push({ url: request.url ?? '', headers: request.headers });
    const [status, headers, body] = handle(request.url ?? '', request.headers);
    response.writeHead(status, headers).end(body);
  });
  return new Promise<{ server: Server; seen: Seen[]; origin: string }>((resolve) =>
    server.listen(0, host, () =>
      resolve({ server, seen, origin: `${host}:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

function pull(reference: string, modelDir: string): Promise<{ code: number; output: string }> {
  const child = spawn(
    SYSTEM_PYTHON,
    [
      runtimeScriptPath(),
      '--model-name',
      'digits',
      '--model-ref',
      reference,
      '--plain-http',
      '--model-dir',
      modelDir,
      '--port',
      '0',
    ],
    {
      env: { ...process.env, TRACKSIDE_REGISTRY_USERNAME: 'deployer', TRACKSIDE_REGISTRY_PASSWORD: 's3cret' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code: code ?? -1, output })));
}

describe('registry credentials of the model server', () => {
  const servers: Server[] = [];
  const modelDir = mkdtempSync(join(tmpdir(), 'trackside-serve-pull-'));
  after(() => {
    for (const server of servers) server.close();
    rmSync(modelDir, { recursive: true, force: true });
  });

  it('never sends them over plain http to a token service on another host', async () => {
    // 127.0.0.2 is another host to the runtime (same machine, other address).
    const tokens = await listen('127.0.0.2', () => [200, { 'Content-Type': 'application/json' }, '{"token":"t"}']);
    const registry = await listen('127.0.0.1', () => [
      401,
      { 'WWW-Authenticate': `Bearer realm="http://${tokens.origin}/token",service="registry"` },
      '',
    ]);
    servers.push(tokens.server, registry.server);
    const { code, output } = await pull(`${registry.origin}/team/digits@sha256:${'a'.repeat(64)}`, modelDir);
    assert.equal(code, 4, output);
    assert.match(output, /sends its token requests to http:\/\/127\.0\.0\.2:\d+\/token, plain http on another host/);
    assert.equal(tokens.seen.length, 0, 'the token service was not even asked');
    assert.doesNotMatch(output, /s3cret/);
  });

  it('follows a blob redirect to a storage host without the registry credentials', async () => {
    const weights = Buffer.from('not really a model');
    const blobDigest = `sha256:${createHash('sha256').update(weights).digest('hex')}`;
    const storage = await listen('127.0.0.2', () => [200, { 'Content-Type': 'application/octet-stream' }, weights]);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        layers: [
          {
            mediaType: 'application/vnd.cncf.model.weight.v1.raw',
            digest: blobDigest,
            size: weights.length,
            annotations: { 'org.cncf.model.filepath': 'model.bin' },
          },
        ],
      }),
    );
    const manifestDigest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
    const registry = await listen('127.0.0.1', (url, headers) => {
      if (headers.authorization !== CREDENTIALS) return [401, { 'WWW-Authenticate': 'Basic realm="registry"' }, ''];
      if (url.includes('/manifests/'))
        return [200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' }, manifest];
      return [307, { Location: `http://${storage.origin}/bucket/blob?signature=xyz` }, ''];
    });
    servers.push(storage.server, registry.server);
    // A Basic registry: the runtime sends the credentials from the first request.
    const { output } = await pull(`${registry.origin}/team/digits@${manifestDigest}`, modelDir);
    assert.match(output, /pulled model\.bin \(sha256:[0-9a-f]{64}, verified\)/, output);
    assert.equal(storage.seen.length, 1);
    assert.equal(storage.seen[0]!.headers.authorization, undefined, 'the storage host never sees the credentials');
    assert.ok(
      registry.seen.some((r) => r.headers.authorization === CREDENTIALS),
      'the registry itself gets them',
    );
  });
});
