import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RunEventSchema } from '../../../src/core/runs/protocol';
import { MAX_EVENT_LINE_BYTES, parseEventLines, readEventsFrom, type EventChunk } from '../../../src/core/runs/reader';
import { TempWorkspace, metricEvent } from '../../fixtures/run-folder-builder';

const line = (step: number) => `${JSON.stringify(metricEvent('loss', step))}\n`;

describe('events.jsonl reader', () => {
  it('leaves a torn last line unconsumed and resumes from it', () => {
    const whole = line(0) + line(1);
    const torn = line(2).slice(0, 20);
    const first = parseEventLines(Buffer.from(whole + torn), 100);
    assert.equal(first.events.length, 2);
    assert.equal(first.nextOffset, 100 + Buffer.byteLength(whole));
    const second = parseEventLines(Buffer.from(torn + line(2).slice(20)), first.nextOffset);
    assert.deepEqual(second.events, [metricEvent('loss', 2)]);
  });

  it('counts bad JSON, wrong types and bad UTF-8 as malformed, ignores blank lines, keeps the rest', () => {
    const bytes = Buffer.concat([
      Buffer.from(line(0)),
      Buffer.from('{oops\n'),
      Buffer.from('{"type":"metric","key":"loss","value":"x","ts":1}\n'),
      Buffer.from([0x7b, 0xc3, 0x28, 0x7d, 0x0a]),
      Buffer.from('  \r\n\n'),
      Buffer.from('{"type":"metric","key":"loss","value":"NaN","step":1,"ts":2}\n'),
      Buffer.from('{"type":"metric","key":"loss","value":1e999,"ts":2}\n'),
    ]);
    const chunk = parseEventLines(bytes, 0);
    assert.equal(chunk.malformed, 4);
    assert.equal(chunk.events.length, 2);
    const nan = chunk.events[1];
    assert.ok(nan?.type === 'metric' && Number.isNaN(nan.value));
    assert.equal(chunk.nextOffset, bytes.length);
  });

  it('reads a file in bounded chunks with contiguous offsets, skipping an overlong line', async () => {
    const ws = new TempWorkspace();
    const run = ws.run(1).writeInfo();
    for (let i = 0; i < 500; i++) run.raw(line(i));
    run.raw(`{"type":"tag","key":"k","value":"${'x'.repeat(MAX_EVENT_LINE_BYTES + 10)}"}\n`);
    for (let i = 500; i < 1000; i++) run.raw(line(i));
    run.raw('{"type":"met');
    const chunks: EventChunk[] = [];
    let start = 0;
    const end = await readEventsFrom(
      run.dir,
      0,
      (chunk) => {
        assert.ok(chunk.nextOffset > start);
        start = chunk.nextOffset;
        chunks.push(chunk);
      },
      16 * 1024,
    );
    assert.ok(chunks.length > 5, 'more than one chunk');
    assert.equal(
      chunks.reduce((n, c) => n + c.events.length, 0),
      1000,
    );
    assert.equal(
      chunks.reduce((n, c) => n + c.malformed, 0),
      1,
    );
    assert.equal(end, start);
    // The torn tail waits: reading again from the end yields nothing.
    let again = 0;
    await readEventsFrom(run.dir, end, (c) => (again += c.events.length));
    assert.equal(again, 0);
    ws.cleanup();
  });

  it('reads every metric line exactly as JSON.parse and the schema do, however it is written', () => {
    const lines = [...handWrittenMetricLines(), ...mutatedMetricLines(3000)];
    for (const text of lines) {
      const chunk = parseEventLines(Buffer.from(`${text}\n`), 0);
      const expected = referenceParse(text);
      assert.deepEqual(chunk.events, expected === null ? [] : [expected], `line ${JSON.stringify(text)}`);
      assert.equal(chunk.malformed, expected === null && text.trim() !== '' ? 1 : 0, `line ${JSON.stringify(text)}`);
    }
  });
});

/** What the protocol says a line is: JSON.parse, then the schema (null where either refuses it). */
function referenceParse(text: string): unknown {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = RunEventSchema.safeParse(data);
  return parsed.success ? parsed.data : null;
}

function handWrittenMetricLines(): string[] {
  const fields = ['"type":"metric"', '"key":"loss"', '"value":0.25', '"step":3', '"ts":1735689600.5'];
  const orders = [
    [0, 1, 2, 3, 4],
    [4, 3, 2, 1, 0],
    [0, 1, 2, 4, 3],
    [1, 0, 4, 2, 3],
    [0, 1, 2, 4],
    [2, 4, 1, 0],
  ];
  const metric = (parts: Record<string, string>) =>
    `{${Object.entries({ type: '"metric"', key: '"loss"', value: '0.25', step: '3', ts: '1735689600.5', ...parts })
      .filter(([, v]) => v !== '')
      .map(([k, v]) => `"${k}":${v}`)
      .join(',')}}`;
  const numbers = [
    '0',
    '-0',
    '7',
    '-7',
    '0.1',
    '-0.05',
    '1.5',
    '0.30000000000000004',
    '3.141592653589793',
    '123456789012345678',
    '9007199254740993',
    '9007199254740992.5',
    '1e-7',
    '1E+3',
    '2.5e10',
    '1e308',
    '1e999',
    '-1e999',
    '5e-324',
    '0.0000000000000000000000123',
    '1735689600.123456',
    '01',
    '.5',
    '1.',
    '+1',
    '-',
    '1e',
    '1e+',
    '0x10',
    '1_0',
    'NaN',
    'Infinity',
    '"NaN"',
    '"Infinity"',
    '"-Infinity"',
    '"x"',
    'true',
    'null',
    '[]',
    '{}',
  ];
  const steps = ['0', '-3', '1.0', '1e2', '1.5', '9007199254740991', '9007199254740992', 'null', '"1"', 'true', ''];
  const keys = [
    '""',
    '"a"',
    `"${'k'.repeat(250)}"`,
    `"${'k'.repeat(251)}"`,
    '"val/loss"',
    '"é"',
    '"\\u00e9"',
    '"a\\"b"',
    '"tab\there"',
    '"new\\nline"',
    '"😀"',
    '1',
    'null',
  ];
  return [
    ...orders.map((order) => `{${order.map((i) => fields[i]).join(',')}}`),
    ...numbers.map((n) => metric({ value: n })),
    ...numbers.map((n) => metric({ ts: n })),
    ...steps.map((n) => metric({ step: n })),
    ...keys.map((k) => metric({ key: k })),
    metric({ type: '"tag"' }),
    metric({ type: '"Metric"' }),
    metric({ ts: '' }),
    metric({ value: '' }),
    metric({ source: '"stdout"' }),
    metric({ extra: '1' }),
    '{"type":"metric","key":"loss","value":1,"ts":2,"value":3}',
    '{"type":"metric","key":"loss","value":1,"ts":2,"type":"metric"}',
    '{"type":"metric","key":"loss","value":1,"ts":2,}',
    '{"type":"metric","key":"loss","value":1,"ts":2}\r',
    '{"type": "metric", "key": "loss", "value": 1, "ts": 2}',
    ' {"type":"metric","key":"loss","value":1,"ts":2}',
    '{"type":"metric","key":"loss","value":1,"ts":2} ',
    '{"type":"metric","key":"loss","value":1,"ts":2}}',
    '{"type":"metric","key":"loss","value":1,"ts":2',
    '{"t\\u0079pe":"metric","key":"loss","value":1,"ts":2}',
    '{"type":"metric","key":"loss","value":1,"ts":2,"step":null}',
    '{"type":"params","values":{"lr":0.1}}',
    '{}',
    '[]',
    '"metric"',
  ];
}

/** Valid lines with one character replaced, inserted or removed (seeded, so failures repeat). */
function mutatedMetricLines(count: number): string[] {
  const alphabet = '{}[]":,.-+eE0123456789 \\tnulrmsypkvaNI';
  let seed = 42;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const bases = [
    '{"type":"metric","key":"loss","value":0.25,"step":3,"ts":1735689600.5}',
    '{"type":"metric","key":"acc","value":-1.5e-3,"ts":1735689600}',
  ];
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const base = bases[random(bases.length)] as string;
    const at = random(base.length);
    const char = alphabet[random(alphabet.length)] as string;
    const kind = random(3);
    lines.push(
      kind === 0
        ? base.slice(0, at) + char + base.slice(at + 1)
        : kind === 1
          ? base.slice(0, at) + char + base.slice(at)
          : base.slice(0, at) + base.slice(at + 1),
    );
  }
  return lines;
}
