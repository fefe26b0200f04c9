import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import MarkdownIt from 'markdown-it';
import { codeSpan, escapeMarkdown } from '../../../src/extension/markdown-text';

// A CommonMark renderer reads the tooltips as the editor's does: what it shows is what a user sees.
const markdown = new MarkdownIt();
const shown = (source: string): string =>
  markdown
    .renderInline(source)
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');

describe('tooltip markdown', () => {
  const hostile = [
    'models/digits-logreg-C1.pkl',
    'a`b``c',
    '`edge`',
    '**bold** _x_ [link](http://x) <b>',
    'C:\\models\\m.pt',
  ];

  it('shows a path or name in a code span exactly, without the escapes plain text needs', () => {
    for (const text of hostile) {
      assert.equal(shown(codeSpan(text)), text, text);
      assert.match(markdown.renderInline(codeSpan(text)), /^<code>/, 'one code span');
    }
  });

  it('shows plain text literally: no emphasis, links or HTML from run data', () => {
    for (const text of hostile) assert.equal(shown(escapeMarkdown(text)), text, text);
  });
});
