import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { TempWorkspace } from '../../fixtures/run-folder-builder';

const REPO = join(__dirname, '..', '..', '..');
const MAIN = join(REPO, 'src', 'cli', 'main.ts');
// By path, so the CLI can run from folders outside the repository.
const TSX = pathToFileURL(join(REPO, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

async function trackside(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', TSX, MAIN, ...args], {
      cwd,
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('trackside ls / show / reindex / export', () => {
  let ws: TempWorkspace;
  let ids: string[];
  before(() => {
    ws = new TempWorkspace();
    const a = ws.run(1, { experiment: 'mnist', name: 'small' }).writeInfo().writeStatus();
    a.metrics(['loss', 'accuracy'], 20);
    a.events([
      { type: 'artifact', path: 'model.pt', role: 'output', kind: 'model', sha256: 'b'.repeat(64), size: 2048 },
    ]);
    a.raw('{broken json\n');
    const b = ws.run(2, { experiment: 'mnist', name: 'big', params: { lr: 0.01, note: 'a,"b"' } });
    b.writeInfo().writeStatus({ status: 'failed', exitCode: 2 }).metrics(['loss'], 5);
    ids = [a.id, b.id];
  });
  after(() => ws.cleanup());

  it('ls prints an aligned table from the nearest workspace above the working folder', async () => {
    const { code, stdout } = await trackside(['ls'], join(ws.root, '.trackside', 'runs'));
    assert.equal(code, 0);
    const [header, first, second] = stdout.split('\n');
    assert.match(header ?? '', /^ID\s+EXPERIMENT\s+NAME\s+STATUS\s+CREATED\s+DURATION\s+loss\s+accuracy$/);
    assert.match(first ?? '', /mnist\s+big\s+failed/);
    assert.match(second ?? '', /mnist\s+small\s+finished\s+\S+ \S+\s+1m 30s/);
    assert.equal(header?.indexOf('NAME'), first?.indexOf('big'), 'columns line up');
  });

  it('ls filters and prints JSON', async () => {
    const { stdout } = await trackside(['ls', '--workspace', ws.root, '--status', 'failed', '--json'], tmpdir());
    const parsed = JSON.parse(stdout) as { total: number; runs: { id: string; metrics: Record<string, unknown> }[] };
    assert.equal(parsed.total, 1);
    assert.equal(parsed.runs[0]?.id, ids[1]);
    assert.ok(parsed.runs[0]?.metrics.loss);
    const bad = await trackside(['ls', '--workspace', ws.root, '--status', 'done'], tmpdir());
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown status "done"/);
  });

  it('ls on a corrupt index moves it aside, rebuilds it from the run folders and says so once', async () => {
    const other = new TempWorkspace();
    try {
      other.run(1, { experiment: 'mnist', name: 'kept' }).writeInfo().writeStatus().metrics(['loss'], 3);
      const index = join(other.root, '.trackside', 'index.db');
      writeFileSync(index, randomBytes(8192));
      const { code, stdout, stderr } = await trackside(['ls', '--workspace', other.root], tmpdir());
      assert.equal(code, 0, stderr);
      assert.match(stdout, /mnist\s+kept\s+finished/);
      const lines = stderr.trim().split('\n');
      assert.equal(lines.length, 1, stderr);
      assert.match(
        lines[0] ?? '',
        /index .*index\.db could not be read \(file is not a database\); it was moved to .*index\.db\.corrupt-/,
      );
      const moved = readdirSync(join(other.root, '.trackside')).filter((f) => f.startsWith('index.db.corrupt-'));
      assert.equal(moved.length, 1, 'the unreadable file is kept, not deleted');
      const again = await trackside(['ls', '--workspace', other.root], tmpdir());
      assert.equal(again.stderr, '', 'the rebuilt index opens quietly');
    } finally {
      other.cleanup();
    }
  });

  it('a command that finds the index locked too long names the process that holds it', async () => {
    const other = new TempWorkspace();
    const holder = spawn(process.execPath, ['--import', TSX, join(__dirname, 'lock-child.ts'), other.root, '30'], {
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      other.run(1).writeInfo().writeStatus();
      await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
      const { code, stderr } = await trackside(['ls', '--workspace', other.root], tmpdir());
      assert.equal(code, 1);
      assert.match(
        stderr,
        new RegExp(
          `^trackside: the index .*index\\.db stayed locked for 5 s by pid ${holder.pid}: .*lock-child\\.ts.*; wait for it`,
        ),
      );
      assert.doesNotMatch(stderr, /unexpected error|at .*\.ts:\d+/, 'one line, no stack');
    } finally {
      holder.kill();
      other.cleanup();
    }
  });

  it('says how to start when there is no workspace', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'trackside-empty-'));
    const { code, stderr } = await trackside(['ls'], empty);
    assert.equal(code, 1);
    assert.match(stderr, /no runs in .*: start one with `trackside run -- python train.py`/);
    rmSync(empty, { recursive: true, force: true });
  });

  it('show resolves a unique prefix and reports everything, malformed lines included', async () => {
    const { code, stdout } = await trackside(['show', '--workspace', ws.root, ids[0] as string], tmpdir());
    assert.equal(code, 0);
    assert.match(stdout, /Experiment:\s+mnist/);
    assert.match(stdout, /Malformed:\s+1 line skipped/);
    assert.match(stdout, /loss\s+\S+\s+\S+\s+\S+\s+20\s+19/);
    assert.match(stdout, /output\s+model\s+model\.pt\s+bbbbbbbbbbbb\s+2\.0 KiB/);
    const ambiguous = await trackside(['show', '--workspace', ws.root, '01JTEST'], tmpdir());
    assert.equal(ambiguous.code, 1);
    assert.match(ambiguous.stderr, /matches several runs/);
    const missing = await trackside(['show', '--workspace', ws.root, 'nothing'], tmpdir());
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no run matches "nothing"/);
  });

  it('reindex prints counts and export writes CSV and JSON', async () => {
    const re = await trackside(['reindex', '--workspace', ws.root], tmpdir());
    assert.equal(re.code, 0);
    assert.match(re.stdout, /runs\s+2\n/);
    assert.match(re.stdout, /metric points\s+45 \(2 keys\)/);
    assert.match(re.stdout, /malformed lines\s+1/);

    const out = join(ws.root, 'runs.csv');
    const csv = await trackside(['export', '--workspace', ws.root, '-o', out], tmpdir());
    assert.equal(csv.code, 0);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\r\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0] ?? '', /^id,experiment,name,status,.*param\.lr,param\.note,.*metric\.loss\.last/);
    assert.ok(lines[2]?.includes('"a,""b"""'), 'cells with commas and quotes are quoted');

    const json = await trackside(
      ['export', '--workspace', ws.root, '--format', 'json', '--experiment', 'mnist'],
      tmpdir(),
    );
    const runs = JSON.parse(json.stdout) as {
      params: Record<string, unknown>;
      metrics: Record<string, { count: number }>;
    }[];
    assert.equal(runs[1]?.params.lr, 0.01);
    assert.equal(runs[0]?.metrics.accuracy?.count, 20);
    const unknown = await trackside(['export', '--workspace', ws.root, '--format', 'xml'], tmpdir());
    assert.equal(unknown.code, 2);
  });
});
