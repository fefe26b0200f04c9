import assert from 'node:assert/strict';
import { userInfo } from 'node:os';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { workspaceActor } from '../../../src/core/models/actor';
import { TempWorkspace } from '../../fixtures/run-folder-builder';
import { git } from '../runs/run-fixtures';

describe('the actor written to the audit log', () => {
  let ws: TempWorkspace;

  beforeEach(() => {
    ws = new TempWorkspace('trackside-actor-');
    git(ws.root, 'init', '-q');
    git(ws.root, 'config', 'user.email', 'teammate@example.com');
  });
  afterEach(() => ws.cleanup());

  it('is the workspace’s git user.email in a trusted folder', async () => {
    assert.equal(await workspaceActor(ws.root), 'teammate@example.com');
  });

  it('in an untrusted folder is the system user: git is not run, so its config is never read', async () => {
    assert.equal(await workspaceActor(ws.root, { askGit: false }), userInfo().username);
  });
});
