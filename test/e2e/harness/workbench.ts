import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import type { CodeServer } from './code-server';
import { resultsDir } from './paths';

/** How long a user-visible step may take before a test gives up (2-core CI machines, cold caches). */
export const stepTimeout = 30_000;

/**
 * The VS Code workbench in the browser, driven the way a user drives it: palette, activity bar,
 * views, notifications. Selectors are those of VS Code 1.100 (code-server 4.100.3).
 */
export class Workbench {
  constructor(
    readonly page: Page,
    private readonly server: CodeServer,
  ) {}

  /** Opens `folder` (default: the server's workspace) and waits until the workbench has rendered. */
  async open(folder?: string): Promise<void> {
    await this.page.goto(this.server.workbenchUrl(folder));
    await this.page.locator('.monaco-workbench').waitFor({ timeout: stepTimeout });
    // The explorer appears once the folder is open.
    await this.page.locator('.explorer-folders-view').waitFor({ timeout: stepTimeout });
  }

  /** Runs a command by its palette title, e.g. "Trackside: Show Latest Run Metrics". */
  async runCommand(title: string): Promise<void> {
    await this.page.keyboard.press('F1');
    const input = this.page.locator('.quick-input-widget input.input');
    await input.waitFor({ timeout: stepTimeout });
    await input.fill(`>${title}`);
    const row = this.page
      .locator('.quick-input-list .monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: title }) })
      .first();
    await row.waitFor({ timeout: stepTimeout });
    await row.click();
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: stepTimeout });
  }

  /** The activity-bar entry of a view container, by its title ("Trackside", "Explorer"). */
  activityBarItem(containerTitle: string): Locator {
    return this.page.locator(`.activitybar .action-item a[aria-label^="${cssString(containerTitle)}"]`);
  }

  /**
   * Shows a view container from the activity bar and returns the body of one of its views, expanded.
   * Clicking an already active container would hide the side bar, so it is clicked only when inactive.
   */
  async openView(containerTitle: string, viewName: string): Promise<Locator> {
    const item = this.activityBarItem(containerTitle);
    await item.waitFor({ timeout: stepTimeout });
    // Judged by what is on screen: the side bar showing this container's title. (The activity item's
    // `checked` state survives a reload that hides the side bar, and clicking a shown container hides it.)
    const sidebar = this.page.locator('#workbench\\.parts\\.sidebar');
    const title = sidebar.locator('.composite.title .title-label', { hasText: new RegExp(`^${containerTitle}$`, 'i') });
    const showing = async () => (await sidebar.isVisible()) && (await title.count()) > 0;
    for (let attempt = 0; !(await showing()); attempt++) {
      if (attempt >= 3) throw new Error(`the ${containerTitle} view container does not show`);
      // The item's <li>, not its icon link: a badge (say, a running-run count) covers the icon's middle.
      await item.locator('xpath=..').click();
      const deadline = Date.now() + 3000;
      while (!(await showing()) && Date.now() < deadline) await this.page.waitForTimeout(100);
    }
    // A container with a single view hides that view's header: it is in the DOM but not visible.
    const header = this.viewHeader(viewName);
    await header.waitFor({ state: 'attached', timeout: stepTimeout });
    if ((await header.isVisible()) && (await header.getAttribute('aria-expanded')) === 'false') await header.click();
    const body = this.page.locator('.pane').filter({ has: header }).locator('.pane-body');
    await body.waitFor({ timeout: stepTimeout });
    return body;
  }

  viewHeader(viewName: string): Locator {
    return this.page.locator(`.pane-header[aria-label^="${cssString(viewName)}"]`);
  }

  /** A row of a tree or list view, by its accessible label. */
  treeRow(label: string, within: Locator | Page = this.page): Locator {
    return within.locator(`.monaco-list-row[aria-label="${cssString(label)}"]`);
  }

  /**
   * The content of the visible webview: VS Code hosts it in an outer iframe (`iframe.webview.ready`)
   * holding the extension's document in an inner one (`#active-frame`).
   */
  webviewFrame(): FrameLocator {
    return this.page
      .locator('iframe.webview.ready')
      .filter({ visible: true })
      .last()
      .contentFrame()
      .locator('iframe#active-frame')
      .contentFrame();
  }

  /** Title of the active editor tab (an editor or a webview panel). */
  activeTabTitle(): Locator {
    return this.page.locator('.tabs-container .tab.active .label-name');
  }

  /** Texts of the notification toasts currently shown. */
  async notifications(): Promise<string[]> {
    return this.page.locator('.notifications-toasts .notification-toast').allInnerTexts();
  }

  /** The text of the editor in the bottom panel (the Output view, once a command has shown a channel). */
  panelEditorLines(): Locator {
    return this.page.locator('.part.panel .monaco-editor .view-lines');
  }

  statusBar(): Locator {
    return this.page.locator('#workbench\\.parts\\.statusbar');
  }

  /** Saves a full-page screenshot as test-results/<name>.png and returns its path. */
  async screenshot(name: string): Promise<string> {
    mkdirSync(resultsDir, { recursive: true });
    const path = join(resultsDir, `${safeFileName(name)}.png`);
    await this.page.screenshot({ path, fullPage: true });
    return path;
  }
}

/** Escapes a value for a double-quoted CSS attribute selector. */
function cssString(value: string): string {
  return value.replace(/["\\]/g, '\\$&');
}

export function safeFileName(name: string): string {
  return name
    .replace(/[^a-zA-Z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 120);
}
