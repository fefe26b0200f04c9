import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
});
