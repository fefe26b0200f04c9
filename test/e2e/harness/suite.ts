import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ConsoleLog, launchChromium } from './chromium';
import { CodeServer } from './code-server';
import type { CodeServerOptions } from './code-server';
import { vscodeFlavor } from './paths';
import { safeFileName, Workbench } from './workbench';

/** What each test of a workbench suite receives. */
export interface WorkbenchSession {
  server: CodeServer;
  browser: Browser;
  page: Page;
  workbench: Workbench;
  console: ConsoleLog;
}

export interface JourneyOptions {
  /**
   * Part of the compatibility set that also runs in the oldest VS Code of `engines.vscode`
   * (scripts/run-e2e-minimum.sh); the rest of the suite runs in the current VS Code only.
   */
  compat?: boolean;
}

export interface WorkbenchSuite {
  /** A test with the file's shared session; a failing test leaves a screenshot in test-results/. */
  test(name: string, fn: (session: WorkbenchSession) => Promise<void>, options?: JourneyOptions): void;
}

/**
 * One code-server and one browser for a whole test file (starting them costs seconds; tests in a file
 * share them and run in order). `options` runs in `before`, so it may prepare a workspace first.
 */
export function workbenchSuite(
  name: string,
  options: () => Promise<CodeServerOptions> | CodeServerOptions,
): WorkbenchSuite {
  let session: WorkbenchSession | undefined;
  let context: BrowserContext | undefined;
  const logName = safeFileName(name);

  before(
    async () => {
      const server = await CodeServer.start({ logName: `${logName}.code-server`, ...(await options()) });
      let browser: Browser;
      try {
        browser = await launchChromium();
      } catch (error) {
        await server.stop();
        throw error;
      }
      context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      session = { server, browser, page, workbench: new Workbench(page, server), console: new ConsoleLog(page) };
    },
    { timeout: 180_000 },
  );

  after(
    async () => {
      const current = session;
      session = undefined;
      if (!current) return;
      await context?.close().catch(() => undefined);
      await current.browser.close();
      await current.server.stop();
    },
    { timeout: 60_000 },
  );

  return {
    test(testName, fn, journey = {}) {
      const skip = vscodeFlavor() === 'minimum' && !journey.compat && 'not in the compatibility set';
      test(testName, { timeout: 120_000, skip }, async () => {
        if (!session) throw new Error('the workbench session did not start (see the before hook)');
        try {
          await fn(session);
        } catch (error) {
          const path = await session.workbench.screenshot(`${logName}--${testName}--failure`).catch(() => undefined);
          if (path) process.stderr.write(`screenshot of the failure: ${path}\n`);
          process.stderr.write(`code-server log: ${session.server.logPath}\n`);
          throw error;
        }
      });
    },
  };
}
