import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OutputLineSplitter, type OutputSegment } from '../../../src/core/runs/output-lines';

function split(...chunks: string[]): OutputSegment[] {
  const splitter = new OutputLineSplitter();
  return [...chunks.flatMap((chunk) => splitter.push(Buffer.from(chunk))), ...splitter.end()];
}

const line = (text: string, repeat = false): OutputSegment => ({ text, redraw: false, repeat });
const redraw = (text: string): OutputSegment => ({ text, redraw: true, repeat: false });

describe('output splitting into lines and progress-bar redraws', () => {
  it('hands out every carriage-return redraw as it ends, then the line the bar leaves', () => {
    assert.deepEqual(split('\r 10%|█ | 1/10\r 20%|██| 2/10\r100%|██| 10/10 done\n'), [
      redraw(' 10%|█ | 1/10'),
      redraw(' 20%|██| 2/10'),
      line('100%|██| 10/10 done'),
    ]);
  });

  it('marks a closing line that repeats the last redraw, as tqdm prints it when the bar closes', () => {
    assert.deepEqual(split('\rloss=0.5\rloss=0.4\rloss=0.4\n'), [
      redraw('loss=0.5'),
      redraw('loss=0.4'),
      line('loss=0.4', true),
    ]);
  });

  it('treats \\r\\n as a newline, also when the two arrive in different chunks', () => {
    assert.deepEqual(split('epoch 1 loss=0.5\r\nepoch 2 loss=0.4\r', '\nepoch 3\r', 'loss=0.3\n'), [
      line('epoch 1 loss=0.5'),
      line('epoch 2 loss=0.4'),
      redraw('epoch 3'),
      line('loss=0.3'),
    ]);
  });

  it('reads a bar on screen before its next redraw, once, and not again when it ends', () => {
    const splitter = new OutputLineSplitter();
    assert.deepEqual(splitter.push(Buffer.from('\r 50%|█ | 5/10 [loss=0.3]')), []);
    assert.equal(splitter.hasOpenRedraw(), true);
    assert.equal(splitter.takeOpenRedraw(), ' 50%|█ | 5/10 [loss=0.3]');
    assert.equal(splitter.takeOpenRedraw(), null);
    assert.deepEqual(splitter.push(Buffer.from('\r 60%|█ | 6/10 [loss=0.2]')), []);
    assert.deepEqual(splitter.push(Buffer.from('\n')), [line(' 60%|█ | 6/10 [loss=0.2]')]);
    assert.deepEqual(splitter.end(), []);
  });

  it('passes an unterminated last redraw on as a line when the stream ends', () => {
    assert.deepEqual(split('\r 10%| 1/10 loss=0.9\r 20%| 2/10 loss=0.8'), [
      redraw(' 10%| 1/10 loss=0.9'),
      line(' 20%| 2/10 loss=0.8'),
    ]);
  });

  it('keeps multi-byte characters split across chunks intact', () => {
    const splitter = new OutputLineSplitter();
    const bytes = Buffer.from('étape loss=0.5\n');
    const segments = [...splitter.push(bytes.subarray(0, 1)), ...splitter.push(bytes.subarray(1))];
    assert.deepEqual(segments, [line('étape loss=0.5')]);
  });

  it('never hands out a segment longer than 64 KiB, and goes on after it', () => {
    assert.deepEqual(split(`${'x'.repeat(70_000)}\rloss=0.5\n`), [line('loss=0.5')]);
  });
});
