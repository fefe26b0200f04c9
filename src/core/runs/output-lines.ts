import { StringDecoder } from 'node:string_decoder';

/** Lines longer than this are passed through to the log but never parsed for metrics. */
const MAX_PENDING = 64 * 1024;

/**
 * Splits a byte stream into the lines a terminal would show. A carriage return rewinds the line
 * (progress bars redraw themselves with `\r`), so only the text after the last `\r` is the line;
 * a `\r\n` ending counts as a plain newline. UTF-8 sequences split across chunks are kept whole.
 */
export class OutputLineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private overlong = false;

  push(chunk: Buffer): string[] {
    return this.split(this.decoder.write(chunk));
  }

  /** The unterminated last line, when the stream ends. */
  end(): string[] {
    const rest = this.split(this.decoder.end());
    if (this.pending.length > 0 && !this.overlong) rest.push(visible(this.pending));
    this.pending = '';
    return rest;
  }

  private split(text: string): string[] {
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const newline = text.indexOf('\n', start);
      if (newline < 0) break;
      const piece = this.pending + text.slice(start, newline);
      if (!this.overlong) lines.push(visible(piece));
      this.pending = '';
      this.overlong = false;
      start = newline + 1;
    }
    this.pending += text.slice(start);
    if (this.pending.length > MAX_PENDING) {
      this.overlong = true;
      this.pending = '';
    }
    return lines;
  }
}

function visible(line: string): string {
  const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line;
  const lastReturn = trimmed.lastIndexOf('\r');
  return lastReturn >= 0 ? trimmed.slice(lastReturn + 1) : trimmed;
}
