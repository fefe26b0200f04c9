import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextPollInterval, type PolledJob } from '../../../src/core/slurm/monitor';

const options = { fastIntervalMs: 1000, slowIntervalMs: 10_000, startupWindowMs: 15_000 };
const now = 1_000_000;
const running = (sinceMs: number): PolledJob => ({
  state: 'RUNNING',
  runningSince: now - sinceMs,
  endedSince: null,
  missedPolls: 0,
});

describe('Slurm polling interval', () => {
  it('polls fast while a job waits for a node or is starting', () => {
    for (const state of ['PENDING', 'CONFIGURING', 'REQUEUED']) {
      const waiting = { state, runningSince: null, endedSince: null, missedPolls: 0 };
      assert.equal(nextPollInterval([running(60_000), waiting], now, options), 1000, state);
    }
    assert.equal(nextPollInterval([running(3000)], now, options), 1000, 'just started');
  });

  it('polls slowly once every job has been running for a while', () => {
    assert.equal(nextPollInterval([running(60_000), running(20_000)], now, options), 10_000);
  });

  it('polls fast while an ended job waits for its launcher or a job went missing', () => {
    assert.equal(nextPollInterval([{ ...running(60_000), state: 'COMPLETED', endedSince: now }], now, options), 1000);
    assert.equal(nextPollInterval([{ ...running(60_000), missedPolls: 1 }], now, options), 1000);
  });
});
