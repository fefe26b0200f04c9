import { formatBytes } from '../../core/format/numbers';
import type { PushProgress } from '../../core/registry/push';

/**
 * Turns the core's push progress into what the notification shows — "37 MB of 120 MB · 85 MB/s" —
 * and the percentage increments `withProgress` wants. The speed is measured over the last few
 * seconds of bytes put on the wire, so it follows the link rather than the average since the start.
 */

const WINDOW_MS = 3_000;

export interface ProgressStep {
  message: string;
  /** Percentage points to add since the previous step (withProgress adds them up). */
  increment: number;
}

export class PushProgressText {
  private percent = 0;
  private readonly samples: { at: number; sent: number }[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  step(progress: PushProgress): ProgressStep {
    const percent = this.percentOf(progress);
    const increment = Math.max(0, percent - this.percent);
    this.percent = Math.max(this.percent, percent);
    return { message: this.messageOf(progress), increment };
  }

  private percentOf(p: PushProgress): number {
    // Hashing is quick next to uploading: it fills the first tenth of the bar.
    const fraction = p.bytesTotal > 0 ? Math.min(1, p.bytesDone / p.bytesTotal) : 1;
    if (p.phase === 'hashing') return 10 * fraction;
    if (p.phase === 'uploading') return 10 + 85 * fraction;
    return p.phase === 'tagging' ? 95 : 100;
  }

  private messageOf(p: PushProgress): string {
    switch (p.phase) {
      case 'hashing':
        // Hashed: what follows is the registry's answer (and maybe a sign-in), not more hashing.
        return p.bytesDone >= p.bytesTotal
          ? `hashed ${formatBytes(p.bytesTotal)} · contacting the registry`
          : `hashing ${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}`;
      case 'uploading': {
        const speed = this.speed(p.bytesSent);
        const file = p.blob && p.blob.path !== 'config' ? ` · ${p.blob.path}` : '';
        return `${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}${speed === null ? '' : ` · ${formatBytes(speed)}/s`}${file}`;
      }
      case 'tagging':
        return 'writing the manifest';
      case 'done':
        return 'done';
    }
  }

  /** Bytes per second over the recent window; null until two samples a moment apart exist. */
  private speed(sent: number): number | null {
    const at = this.now();
    this.samples.push({ at, sent });
    while (this.samples.length > 2 && at - this.samples[0]!.at > WINDOW_MS) this.samples.shift();
    const first = this.samples[0]!;
    const elapsed = at - first.at;
    if (elapsed < 200) return null;
    return ((sent - first.sent) * 1000) / elapsed;
  }
}
