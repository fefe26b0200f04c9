import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sparklineSvg, svgDataUri } from '../../../src/core/inline/sparkline';

test('draws one path per series, scaled into the box, with a dot on the last point', () => {
  const svg = sparklineSvg(
    [
      { values: [3, 2, 1], color: '#f00', emphasis: 'secondary' },
      { values: [4, 2, 0], color: '#00f' },
    ],
    { width: 60, height: 16, lastPoint: true },
  );
  assert.equal((svg.match(/<path /g) ?? []).length, 2);
  assert.equal((svg.match(/<circle /g) ?? []).length, 1);
  const coords = [...svg.matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
  for (const [x, y] of coords) {
    assert.ok(x! >= 0 && x! <= 60 && y! >= 0 && y! <= 16, `point ${x},${y} inside the box`);
  }
  // The primary series is drawn last, on top.
  assert.ok(svg.indexOf('#00f') > svg.indexOf('#f00'));
});

test('breaks the line at NaN instead of drawing through it', () => {
  const svg = sparklineSvg([{ values: [1, Number.NaN, 2, 3], color: '#000' }], { width: 40, height: 10 });
  assert.equal((svg.match(/M/g) ?? []).length, 2);
});

test('an empty series gives an empty but valid image', () => {
  const svg = sparklineSvg([{ values: [], color: '#000' }], { width: 40, height: 10 });
  assert.match(svg, /^<svg [^>]*><\/svg>$/);
  assert.match(svgDataUri(svg), /^data:image\/svg\+xml;base64,/);
});
