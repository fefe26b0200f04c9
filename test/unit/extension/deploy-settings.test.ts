import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeploymentRecord } from '../../../src/core/deploy/records';
import { DeploymentNameSchema } from '../../../src/core/deploy/targets-config';
import { servedVersion, suggestedDeploymentName } from '../../../src/extension/deploy/deployment-labels';

import { formatTensorJson } from '../../../src/extension/deploy/json-layout';
import { registryUsesPlainHttp } from '../../../src/extension/deploy/registry-access';
import {
  parseRequestDocument,
  requestDocumentText,
  sampleRequest,
} from '../../../src/extension/deploy/request-template';
import { readTargetsSetting } from '../../../src/extension/deploy/targets-setting';
import { RefusedError } from '../../../src/extension/refusal';

const podman = { kind: 'podman', name: 'lab', address: 'http://127.0.0.1:8888', image: 'localhost/runtime:latest' };

describe('the trackside.targets setting', () => {
  it('keeps the valid targets and names each problem by entry and field', () => {
    const reading = readTargetsSetting(
      [podman, { kind: 'podman', name: 'no-image', address: 'http://h:1' }, { kind: 'ftp', name: 'x' }],
      '/ws',
    );
    assert.deepEqual(
      reading.targets.map((t) => t.name),
      ['lab'],
    );
    assert.equal(reading.problems.length, 2);
    assert.match(reading.problems[0]!, /^trackside\.targets\[1\] \("no-image"\): image: /);
    assert.match(reading.problems[1]!, /^trackside\.targets\[2\] \("x"\): kind: /);
  });

  it('refuses a second target with the same name, and a value that is not a list', () => {
    const reading = readTargetsSetting([podman, { ...podman, address: 'http://other:1' }], '/ws');
    assert.equal(reading.targets.length, 1);
    assert.match(reading.problems[0]!, /already named "lab"/);
    assert.match(readTargetsSetting({ targets: [] }, '/ws').problems[0]!, /must be a list/);
    assert.deepEqual(readTargetsSetting(undefined, '/ws'), { targets: [], problems: [] });
  });

  it('refuses an SSH host or user that ssh would read as an option, and binds to loopback by default', () => {
    const ssh = { kind: 'ssh', name: 'box', host: 'gpu1', user: 'ml', keyFile: '/k' };
    const reading = readTargetsSetting(
      [
        ssh,
        { ...ssh, name: 'evil-host', host: '-oProxyCommand=touch /tmp/pwned' },
        { ...ssh, name: 'evil-user', user: 'ml gpu2' },
      ],
      '/ws',
    );
    assert.deepEqual(
      reading.targets.map((t) => t.name),
      ['box'],
    );
    const problems = reading.problems.join('\n');
    assert.match(problems, /"evil-host"\): host: a host cannot start with "-"/);
    assert.match(problems, /"evil-user"\): user: a user name is one word/);
    const [box] = reading.targets;
    assert.equal(box?.kind === 'ssh' && box.bindHost, '127.0.0.1');
    const [lab] = readTargetsSetting([podman], '/ws').targets;
    assert.equal(lab?.kind === 'podman' && lab.bindHost, '127.0.0.1');
  });

  it('writes KServe manifests into the open workspace unless the entry names a folder', () => {
    const [own, given] = readTargetsSetting(
      [
        { kind: 'kserve', name: 'k8s' },
        { kind: 'kserve', name: 'k8s-elsewhere', workspaceRoot: '/other' },
      ],
      '/ws',
    ).targets;
    assert.equal(own?.kind === 'kserve' && own.workspaceRoot, '/ws');
    assert.equal(given?.kind === 'kserve' && given.workspaceRoot, '/other');
  });
});

describe('test requests', () => {
  const record = {
    name: 'digits-prod',
    target: 'lab',
    digest: `sha256:${'a'.repeat(64)}`,
    labels: { 'trackside.model-version': 'digits-logreg@3' },
  } as unknown as DeploymentRecord;

  it('prefills one row of the shape the model reports, and the document parses back as that request', () => {
    const inputs = [{ name: 'input-0', datatype: 'FP64' as const, shape: [-1, 64] }];
    const request = sampleRequest(inputs);
    assert.deepEqual(request.inputs[0]?.shape, [1, 64]);
    assert.equal(request.inputs[0]?.data.length, 64);
    const text = requestDocumentText(record, inputs);
    assert.match(text, /^\/\/ Test request for digits-prod on lab \(digits-logreg v3\)/);
    // The 64 features stay on one line.
    assert.match(text, /"data": \[0(, 0){63}\]/);
    assert.deepEqual(parseRequestDocument(text), request);
  });

  it('refuses a document that is not JSON or not an inference request, saying why', () => {
    assert.throws(
      () => parseRequestDocument('{"inputs": ['),
      (e: unknown) => e instanceof RefusedError && e.reason === 'bad-request' && /not valid JSON/.test(e.message),
    );
    assert.throws(
      () => parseRequestDocument('{"inputs": [{"name": "x", "shape": [1], "datatype": "FLOAT", "data": [1]}]}'),
      (e: unknown) => e instanceof RefusedError && /inputs\.0\.datatype/.test(e.message),
    );
  });

  it('lays out responses as JSON with value arrays on one line', () => {
    const response = { model_name: 'm', outputs: [{ name: 'predict', shape: [2], datatype: 'INT64', data: [4, 7] }] };
    const text = formatTensorJson(response);
    assert.match(text, /"data": \[4, 7\]/);
    assert.deepEqual(JSON.parse(text), response);
  });
});

describe('deployment names and versions', () => {
  it('proposes a valid deployment name from any model name', () => {
    assert.equal(suggestedDeploymentName('Digits_LogReg'), 'digits-logreg');
    for (const name of ['Digits_LogReg', '__x__', 'a'.repeat(80), 'résumé.v2', '---']) {
      assert.ok(DeploymentNameSchema.safeParse(suggestedDeploymentName(name)).success, name);
    }
  });

  it('shows the model version a deployment serves, or its digest when unlabelled', () => {
    const digest = `sha256:${'b'.repeat(64)}`;
    const base = { digest } as unknown as DeploymentRecord;
    assert.equal(servedVersion({ ...base, labels: { 'trackside.model-version': 'iris@12' } }).label, 'iris v12');
    assert.equal(servedVersion(base).label, `@${'b'.repeat(12)}`);
  });
});

describe('how the model server reaches the registry', () => {
  it('follows the registry setting, and takes plain http only for an unlisted loopback registry', () => {
    const settings = [
      { name: 'lab', url: 'http://127.0.0.1:5000' },
      { name: 'secure-local', url: 'https://127.0.0.1:5443' },
      { name: 'team', url: 'registry.example.com' },
    ];
    assert.equal(registryUsesPlainHttp('127.0.0.1:5000', settings), true);
    assert.equal(registryUsesPlainHttp('127.0.0.1:5443', settings), false);
    assert.equal(registryUsesPlainHttp('registry.example.com', settings), false);
    assert.equal(registryUsesPlainHttp('localhost:5001', []), true);
    assert.equal(registryUsesPlainHttp('models.example.com:5000', []), false);
  });
});
