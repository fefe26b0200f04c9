import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type { Browser, ConsoleMessage, Page } from 'playwright-core';
import { HarnessError } from './errors';
import { chromiumPath } from './paths';

/**
 * Flags for Debian's Chromium on a headless server: no sandbox (root in CI), no GPU, and none of the
 * background traffic (updates, sync, QUIC) that has nowhere to go on a machine without internet.
 */
const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export async function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!existsSync(executablePath)) {
    throw new HarnessError(
      'chromium-missing',
      `Chromium not found at ${executablePath}: run \`bash scripts/setup.sh\` (apt-get install chromium) or set TRACKSIDE_CHROMIUM`,
    );
  }
  return chromium.launch({ executablePath, args: chromiumArgs, headless: true });
}

export interface CapturedMessage {
  type: string;
  text: string;
  /** The page or frame that logged it. */
  url: string;
}

/**
 * Every console message and uncaught page error of a page and its frames (webviews are nested iframes
 * in other processes; Playwright reports their messages on the page too).
 */
export class ConsoleLog {
  readonly messages: CapturedMessage[] = [];

  constructor(page: Page) {
    page.on('console', (message: ConsoleMessage) => {
      this.messages.push({ type: message.type(), text: message.text(), url: message.location().url });
    });
    page.on('pageerror', (error: Error) => {
      this.messages.push({ type: 'pageerror', text: `${error.name}: ${error.message}`, url: page.url() });
    });
  }

  /** Messages Chromium logs when a Content Security Policy blocks something. */
  cspViolations(): CapturedMessage[] {
    return this.messages.filter(
      (message) => message.text.includes('Content Security Policy') || message.text.includes('Refused to'),
    );
  }

  /** A readable dump for assertion messages. */
  static format(messages: readonly CapturedMessage[]): string {
    return messages.map((message) => `[${message.type}] ${message.text} (${message.url})`).join('\n');
  }
}
