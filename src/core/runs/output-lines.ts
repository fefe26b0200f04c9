import { StringDecoder } from 'node:string_decoder';

/** Segments longer than this are passed through to the log but never parsed for metrics. */
const MAX_PENDING = 64 * 1024;

export interface OutputSegment {
  text: string;
  /** A progress-bar redraw: text that a carriage return ended, which the next redraw overwrites. */
  redraw: boolean;
  /** A line that only repeats the redraw read just before it (a bar printing its last state as it closes). */
  repeat: boolean;
}

/**
 * Splits a byte stream into what a terminal shows: lines ended by `\n`, and the redraws of
 * progress bars, which end in a carriage return (`\r`) because the next redraw writes over them
 * (tqdm, Lightning and Keras bars). A `\r\n` ending is a plain newline, even when the two
 * characters arrive in different chunks. UTF-8 sequences split across chunks are kept whole.
 */
export class OutputLineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private overlong = false;
  /** The last chunk ended in `\r`: whether it ends a redraw or a `\r\n` line shows with the next one. */
  private carriageReturn = false;
  /** The pending text follows a `\r`: a bar is being drawn over the previous one. */
  private redrawing = false;
  /** The last redraw handed out (ended, or taken while open), to recognise its repeat. */
  private lastRedraw: string | null = null;
  private taken: string | null = null;

  push(chunk: Buffer): OutputSegment[] {
    return this.split(this.decoder.write(chunk));
  }

  /** What is left when the stream ends: an unterminated last redraw or line counts as a line. */
  end(): OutputSegment[] {
    const segments = this.split(this.decoder.end());
    if (this.carriageReturn) this.endRedraw(segments);
    this.carriageReturn = false;
    if (this.pending.length > 0 || this.overlong) this.endLine(segments);
    return segments;
  }

  /**
   * The redraw on screen now, which no `\r` or `\n` has ended yet, once. A bar that advances
   * slowly is read this way without waiting for its next redraw; when that redraw (or the
   * newline) comes, the same text is not handed out again.
   */
  takeOpenRedraw(): string | null {
    if (!this.redrawing || this.carriageReturn || this.overlong || this.pending.length === 0) return null;
    if (this.pending === this.taken) return null;
    this.taken = this.pending;
    this.lastRedraw = this.pending;
    return this.pending;
  }

  /** True while a redraw is open (see takeOpenRedraw). */
  hasOpenRedraw(): boolean {
    return this.redrawing && !this.carriageReturn && this.pending.length > 0 && this.pending !== this.taken;
  }

  private split(text: string): OutputSegment[] {
    const segments: OutputSegment[] = [];
    let start = 0;
    if (this.carriageReturn && text.length > 0) {
      this.carriageReturn = false;
      if (text.startsWith('\n')) {
        this.endLine(segments);
        start = 1;
      } else {
        this.endRedraw(segments);
      }
    }
    const terminator = /[\r\n]/g;
    terminator.lastIndex = start;
    for (let match = terminator.exec(text); match; match = terminator.exec(text)) {
      const at = match.index;
      this.pending += text.slice(start, at);
      start = at + 1;
      if (match[0] === '\n') {
        this.endLine(segments);
      } else if (at + 1 === text.length) {
        this.carriageReturn = true;
      } else if (text[at + 1] === '\n') {
        this.endLine(segments);
        start = at + 2;
        terminator.lastIndex = start;
      } else {
        this.endRedraw(segments);
      }
    }
    this.pending += text.slice(start);
    if (this.pending.length > MAX_PENDING) {
      this.overlong = true;
      this.pending = '';
    }
    return segments;
  }

  private endRedraw(segments: OutputSegment[]): void {
    const text = this.pending;
    if (text.length > 0 && !this.tooLong() && text !== this.taken) {
      segments.push({ text, redraw: true, repeat: false });
    }
    if (text.length > 0) this.lastRedraw = text;
    this.pending = '';
    this.overlong = false;
    this.redrawing = true;
    this.taken = null;
  }

  private tooLong(): boolean {
    return this.overlong || this.pending.length > MAX_PENDING;
  }

  private endLine(segments: OutputSegment[]): void {
    const text = this.pending;
    if (!this.tooLong()) segments.push({ text, redraw: false, repeat: this.redrawing && text === this.lastRedraw });
    this.pending = '';
    this.overlong = false;
    this.redrawing = false;
    this.lastRedraw = null;
    this.taken = null;
  }
}
