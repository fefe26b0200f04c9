import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * Avoids counting a metric twice when a script both prints it and logs it with a client
 * (`print(f"loss={loss}")` next to `ts.log_metric("loss", loss)`): once a client has written a
 * metric event for key K into the run's events.jsonl, the stdout parser stops emitting K. Other
 * keys still come from stdout, so a script that logs a few metrics by hand and lets a framework
 * print the rest keeps both. Parsed points wait a moment in the launcher before they are written,
 * so a client call made just after the print still wins.
 *
 * This reads what clients appended since the last look; the launcher's own lines carry
 * `source: "stdout"` and are skipped.
 */
const MAX_CHUNK = 4 * 1024 * 1024;

export class ClientMetricKeys {
  private offset = 0;
  private readonly keys = new Set<string>();

  constructor(private readonly eventsPath: string) {}

  has(key: string): boolean {
    return this.keys.has(key);
  }

  private collect(text: string): void {
    for (const line of text.split('\n')) {
      // Cheap pre-check: most lines a client writes are metrics, but only their key matters here.
      if (!line.includes('"metric"')) continue;
      try {
        const event = JSON.parse(line) as { type?: unknown; key?: unknown; source?: unknown };
        if (event.type === 'metric' && typeof event.key === 'string' && event.source !== 'stdout') {
          this.keys.add(event.key);
        }
      } catch {
        // a malformed line names no key
      }
    }
  }

  /** Reads new complete lines of events.jsonl and records the keys clients logged. */
  refresh(): void {
    let fd: number;
    try {
      fd = openSync(this.eventsPath, 'r');
    } catch {
      return;
    }
    try {
      const size = fstatSync(fd).size;
      while (this.offset < size) {
        const length = Math.min(size - this.offset, MAX_CHUNK);
        const buffer = Buffer.alloc(length);
        const read = readSync(fd, buffer, 0, length, this.offset);
        if (read <= 0) break;
        const end = buffer.subarray(0, read).lastIndexOf(0x0a) + 1;
        if (end === 0) {
          // No complete line yet (or one longer than a chunk): look again later.
          if (read < MAX_CHUNK) break;
          this.offset += read;
          continue;
        }
        this.collect(buffer.toString('utf8', 0, end));
        this.offset += end;
      }
    } finally {
      closeSync(fd);
    }
  }
}
