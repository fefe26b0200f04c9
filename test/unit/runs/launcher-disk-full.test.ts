import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { buildCliBundle } from '../../fixtures/slurm/cli-bundle';
import { PYTHON } from '../../fixtures/python';

/**
 * A real full disk: the workspace's `.trackside/` is a 1 MiB tmpfs, mounted in a private mount
 * namespace (`unshare -rm`, so no root is needed), and the training script fills it halfway through.
 */

const FILL = `
import os, sys, time
def epoch(step, pause):
    print(f"epoch {step} loss={1 / (step + 1):.4f} acc={step / 1000:.4f} lr=0.001", flush=True)
    time.sleep(pause)
for step in range(4):
    epoch(step, 0.3)
filler = os.path.join(os.environ["TRACKSIDE_WORKSPACE"], ".trackside", "filler")
fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
try:
    while True:
        os.write(fd, b"\\0" * 65536)
except OSError:
    pass
os.close(fd)
# Enough lines that the events file needs new pages, which the full disk refuses.
for step in range(4, 300):
    epoch(step, 0.005)
time.sleep(0.5)
if sys.argv[1] == "free":
    os.remove(filler)
sys.exit(3)
`;

/** The same training, logging through the Python client instead of printing. */
const CLIENT_FILL = FILL.replace('import os, sys, time', 'import os, sys, time\nimport trackside').replace(
  '    print(f"epoch {step} loss={1 / (step + 1):.4f} acc={step / 1000:.4f} lr=0.001", flush=True)',
  '    trackside.log_metric("loss", 1 / (step + 1), step=step)',
);

function namespacesWork(): boolean {
  try {
    execFileSync('unshare', ['-rm', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('the launcher on a full disk', { skip: !namespacesWork() && 'unshare -rm is not allowed here' }, () => {
  let cli: { dir: string; cliPath: string };
  let dir: string;
  before(async () => {
    cli = await buildCliBundle();
    dir = await mkdtemp(join(tmpdir(), 'trackside-full-'));
    await writeFile(join(dir, 'fill.py'), FILL);
    await writeFile(join(dir, 'client_fill.py'), CLIENT_FILL);
  });
  after(async () => {
    await rm(cli.dir, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs `trackside run -- python <script> <mode>` on the tmpfs; the run folder is copied out before it goes. */
  async function trainOnSmallDisk(mode: 'free' | 'full', script = 'fill.py') {
    const ws = join(dir, `${script}-${mode}`);
    const out = join(dir, `${script}-${mode}-out`);
    const shell = [
      'set -e',
      `mkdir -p "$WS/.trackside" "$OUT"`,
      `mount -t tmpfs -o size=1m tmpfs "$WS/.trackside"`,
      'cd "$WS"',
      `set +e; "$NODE" "$CLI" run --name full -- "$PY" "$FILL" "$MODE" 2> "$OUT/stderr"; echo $? > "$OUT/exit"; set -e`,
      'rm -f "$WS/.trackside/filler"',
      'cp -r "$WS/.trackside/runs" "$OUT/runs"',
    ].join('\n');
    await promisify(execFile)('unshare', ['-rm', 'sh', '-c', shell], {
      env: {
        ...process.env,
        WS: ws,
        OUT: out,
        NODE: process.execPath,
        CLI: cli.cliPath,
        PY: PYTHON,
        FILL: join(dir, script),
        MODE: mode,
      },
    });
    const [runId] = await readdir(join(out, 'runs'));
    const runDir = join(out, 'runs', runId!);
    const lines = (await readFile(join(runDir, 'events.jsonl'), 'utf8')).split('\n').filter(Boolean);
    const steps = lines
      .map((line) => JSON.parse(line) as { type: string; key?: string; step?: number })
      .filter((e) => e.type === 'metric' && e.key === 'loss')
      .map((e) => e.step);
    return {
      exitCode: Number((await readFile(join(out, 'exit'), 'utf8')).trim()),
      stderr: await readFile(join(out, 'stderr'), 'utf8'),
      status: JSON.parse(await readFile(join(runDir, 'status.json'), 'utf8')) as { status: string; exitCode: number },
      steps,
    };
  }

  it('keeps training, says so once, and writes the points it held once the disk has room again', async () => {
    const run = await trainOnSmallDisk('free');
    assert.equal(run.exitCode, 3, 'the launcher exits with the script’s own code');
    assert.deepEqual([run.status.status, run.status.exitCode], ['failed', 3]);
    assert.deepEqual(
      run.steps,
      Array.from({ length: 300 }, (_, i) => i),
      'no point printed while the disk was full is lost',
    );
    const told = run.stderr.match(/cannot write to the run folder \(ENOSPC: the disk is full\); training continues/g);
    assert.equal(told?.length, 1, run.stderr);
    assert.doesNotMatch(run.stderr, /could not be written/);
  });

  it('on a disk that stays full, still ends the run truly and says what could not be kept', async () => {
    const run = await trainOnSmallDisk('full');
    assert.equal(run.exitCode, 3);
    assert.deepEqual([run.status.status, run.status.exitCode], ['failed', 3], 'status.json does not stay "running"');
    assert.deepEqual(run.steps.slice(0, 4), [0, 1, 2, 3]);
    assert.match(run.stderr, /of metrics could not be written to events\.jsonl before the run ended \(disk full\)/);
  });

  it('a script logging through the Python client keeps training, and its points reach the file once there is room', async () => {
    const run = await trainOnSmallDisk('free', 'client_fill.py');
    assert.equal(run.exitCode, 3);
    assert.deepEqual(
      run.steps,
      Array.from({ length: 300 }, (_, i) => i),
      'no point logged while the disk was full is lost, and none is written twice',
    );
    const told = run.stderr.match(
      /trackside: cannot write to the run folder \(No space left on device\); training continues/g,
    );
    assert.equal(told?.length, 1, run.stderr);
    assert.doesNotMatch(run.stderr, /could not be written|Traceback/);
  });

  it('a client whose disk stays full says at exit how many lines it could not keep', async () => {
    const run = await trainOnSmallDisk('full', 'client_fill.py');
    assert.equal(run.exitCode, 3);
    assert.deepEqual(run.steps.slice(0, 4), [0, 1, 2, 3]);
    assert.match(run.stderr, /trackside: \d+ metric lines could not be written to events\.jsonl before the run ended/);
  });
});
