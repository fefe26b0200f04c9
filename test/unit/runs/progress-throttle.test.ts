import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RedrawThrottle, type TimedMetric } from '../../../src/core/runs/progress-throttle';

const point = (key: string, value: number, step: number | null = null): TimedMetric => ({ key, value, step, ts: 1 });

function throttle(windowMs: number, now: () => number) {
  const sent: Array<[string, number]> = [];
  const limiter = new RedrawThrottle(
    windowMs,
    (points) => sent.push(...points.map((p): [string, number] => [p.key, p.value])),
    now,
  );
  return { limiter, sent };
}

describe('rate limit of progress-bar redraws', () => {
  it('sends a key’s first value of a window at once and keeps only the last of the others', async () => {
    const { limiter, sent } = throttle(60, Date.now);
    for (const value of [1, 2, 3, 4]) limiter.offer([point('loss', value)]);
    assert.deepEqual(sent, [['loss', 1]]);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.deepEqual(sent, [
      ['loss', 1],
      ['loss', 4],
    ]);
  });

  it('limits each key on its own', () => {
    let now = 0;
    const { limiter, sent } = throttle(200, () => now);
    limiter.offer([point('loss', 1), point('acc', 0.1)]);
    now = 50;
    limiter.offer([point('loss', 2)]);
    now = 210;
    limiter.offer([point('loss', 3), point('acc', 0.3)]);
    assert.deepEqual(sent, [
      ['loss', 1],
      ['acc', 0.1],
      ['loss', 3],
      ['acc', 0.3],
    ]);
    limiter.flush();
  });

  it('never loses the last value: a finished line or the end of the stream sends what waits', () => {
    let now = 0;
    const { limiter, sent } = throttle(10_000, () => now);
    limiter.offer([point('loss', 1), point('acc', 0.1)]);
    now = 1;
    limiter.offer([point('loss', 2), point('acc', 0.2)]);
    // The line gives loss itself (a newer loss), so the waiting loss is dropped; acc goes out.
    limiter.settle(new Set(['loss']));
    assert.deepEqual(sent, [
      ['loss', 1],
      ['acc', 0.1],
      ['acc', 0.2],
    ]);
    now = 2;
    limiter.offer([point('acc', 0.3)]);
    limiter.flush();
    assert.deepEqual(sent.at(-1), ['acc', 0.3]);
  });
});
