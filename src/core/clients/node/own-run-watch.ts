import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * What a run the Node client created needs while it is open, since no launcher stands around it:
 * what the program writes to process.stdout and process.stderr also goes to the run's output.log
 * (the terminal gets every write as before), and the process's exit code and uncaught error decide
 * how the run ended. Nothing here changes what the program does: the write wrappers call the real
 * write, and the listeners only watch ('uncaughtExceptionMonitor' does not stop the crash).
 */

export interface ProcessEnding {
  exitCode: number;
  /** The uncaught exception or unhandled rejection that ended the process, if one did. */
  error: unknown;
  hasError: boolean;
}

type Write = (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) => boolean;

export class OwnRunWatch {
  private fd: number | null;
  private readonly undo: (() => void)[] = [];
  private error: unknown = undefined;
  private hasError = false;

  /**
   * @param outputPath the run's output.log
   * @param onExit called once from the process's 'exit' event
   * @param warn reports a failure once; the program goes on
   */
  constructor(
    outputPath: string,
    onExit: (ending: ProcessEnding) => void,
    private readonly warn: (kind: string, error: unknown) => void,
  ) {
    this.fd = openSync(outputPath, 'a');
    this.tee(process.stdout);
    this.tee(process.stderr);
    const onUncaught = (error: unknown): void => {
      this.error = error;
      this.hasError = true;
    };
    const exit = (code: number): void => onExit({ exitCode: code, error: this.error, hasError: this.hasError });
    process.on('uncaughtExceptionMonitor', onUncaught);
    process.once('exit', exit);
    this.undo.push(() => {
      process.off('uncaughtExceptionMonitor', onUncaught);
      process.off('exit', exit);
    });
  }

  /** Node prints an uncaught error straight to file descriptor 2, past process.stderr.write. */
  appendError(error: unknown): void {
    const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
    this.append(`${text}\n`);
  }

  /** Puts the streams' write back (where still ours), stops listening and closes output.log. */
  dispose(): void {
    for (const undo of this.undo.splice(0).reverse()) undo();
    const fd = this.fd;
    this.fd = null;
    if (fd !== null) closeSync(fd);
  }

  private tee(stream: NodeJS.WriteStream): void {
    const hadOwn = Object.prototype.hasOwnProperty.call(stream, 'write');
    const original = stream.write as unknown as Write;
    const append = (chunk: unknown, encoding: unknown): void => this.append(chunk, encoding);
    const teed: Write = function (chunk, ...rest) {
      const result = original.call(this, chunk, ...rest);
      append(chunk, rest[0]);
      return result;
    };
    stream.write = teed as unknown as typeof stream.write;
    this.undo.push(() => {
      if ((stream.write as unknown) !== teed) return; // replaced again since: leave theirs
      if (hadOwn) stream.write = original as unknown as typeof stream.write;
      else delete (stream as { write?: unknown }).write;
    });
  }

  private append(chunk: unknown, encoding?: unknown): void {
    if (this.fd === null) return;
    try {
      let bytes: Uint8Array;
      if (typeof chunk === 'string') {
        const named = typeof encoding === 'string' && Buffer.isEncoding(encoding) ? encoding : 'utf8';
        bytes = Buffer.from(chunk, named);
      } else if (chunk instanceof Uint8Array) {
        bytes = chunk;
      } else {
        return;
      }
      let written = 0;
      while (written < bytes.length) written += writeSync(this.fd, bytes, written);
    } catch (error) {
      // Closed before warning: the warning itself goes through the tee.
      const fd = this.fd;
      this.fd = null;
      try {
        closeSync(fd);
      } catch {
        // already gone
      }
      this.warn('write output.log', error);
    }
  }
}
