import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  nearestPoint,
  sortedByX,
  svgPaths,
  type CanvasLine,
  type PlotScales,
} from '../../../webview/shared/canvas-lines';

// The chart's lines are stroked on a canvas with the frame's scales; the same geometry feeds the
// exported SVG and the hover search, so these are what a user sees of a line outside a browser.

/** x 0…100 over 500 px, y 0…10 over 200 px (upwards), as vega's scales map them. */
function scales(positiveOnly = false): PlotScales {
  return {
    x: (v) => v * 5,
    y: (v) => 200 - v * 20,
    invertX: (px) => px / 5,
    width: 500,
    height: 200,
    positiveOnly,
  };
}

const line = (label: string, x: number[], y: number[]): CanvasLine => ({ label, color: '#3794ff', x, y });

describe('canvas chart lines', () => {
  it('exports each line as one SVG path through its points, in the frame’s coordinates', () => {
    const svg = svgPaths([line('a', [0, 10, 20], [0, 5, 10]), line('b', [50], [2.5])], scales());
    assert.equal(svg, '<path d="M0,200L50,100L100,0" stroke="#3794ff"/><path d="M250,150" stroke="#3794ff"/>');
  });

  it('on a log scale leaves out points at or below zero, starting the line again after them', () => {
    const svg = svgPaths([line('a', [0, 10, 20, 30], [1, 0, 2, 3])], scales(true));
    assert.equal(svg, '<path d="M0,180M100,160L150,140" stroke="#3794ff"/>');
  });

  it('finds the point under the pointer among all lines, and nothing away from every line', () => {
    const lines = [line('a', [0, 10, 20, 30], [1, 2, 3, 4]), line('b', [0, 10, 20, 30], [4, 3, 2, 1])];
    // (20, 2) of b is at (100, 160); (20, 3) of a at (100, 140).
    const hit = nearestPoint(lines, scales(), 102, 158);
    assert.equal(hit?.line.label, 'b');
    assert.equal(hit?.index, 2);
    assert.deepEqual([hit?.px, hit?.py], [100, 160]);
    assert.equal(nearestPoint(lines, scales(), 102, 141)?.line.label, 'a');
    assert.equal(nearestPoint(lines, scales(), 75, 100), null);
  });

  it('answers a pointer on a line between two far-apart points with the nearer one', () => {
    // a runs from (0, 0) at (0, 200) to (100, 10) at (500, 0): its middle is 250 px from either end.
    const lines = [line('a', [0, 100], [0, 10])];
    const hit = nearestPoint(lines, scales(), 200, 121);
    assert.equal(hit?.index, 0);
    assert.deepEqual([hit?.px, hit?.py], [0, 200]);
    assert.equal(nearestPoint(lines, scales(), 300, 80)?.index, 1);
    assert.equal(nearestPoint(lines, scales(), 300, 40), null, 'far above the line');
  });

  it('connects a line that goes back in x in ascending x, as vega’s line mark did', () => {
    assert.deepEqual(sortedByX([0, 2, 1, 3], [10, 12, 11, 13]), { x: [0, 1, 2, 3], y: [10, 11, 12, 13] });
    const x = [0, 1, 2];
    assert.equal(sortedByX(x, [1, 2, 3]).x, x, 'a line already in order is kept as it is');
  });
});
