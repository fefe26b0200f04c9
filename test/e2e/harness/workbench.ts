import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import type { CodeServer } from './code-server';
import { resultsDir } from './paths';

/** How long a user-visible step may take before a test gives up (2-core CI machines, cold caches). */
export const stepTimeout = 30_000;

/**
 * Opens the quick input with `key` (F1: commands, Control+P: files) and types `text` into it. A key
 * pressed while a webview has the focus can be lost on a busy machine, and a webview that takes the
 * focus back closes the quick input as it opens: the key is pressed again, from the active editor
 * tab, until the text is in the input.
 */
export async function openQuickInput(page: Page, key: 'F1' | 'Control+P', text: string): Promise<Locator> {
  const input = page.locator('.quick-input-widget input.input');
  const deadline = Date.now() + stepTimeout;
  for (;;) {
    await page.keyboard.press(key);
    try {
      await input.fill(text, { timeout: 3000 });
      return input;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      const tab = page.locator('.tabs-container .tab.active');
      if ((await tab.count()) > 0) await tab.first().click();
    }
  }
}

/**
 * Answers VS Code's own file dialog (in the browser, a quick input holding a path). The dialog
 * reads its folder before it fills in what it proposes, and what it fills in then replaces anything
 * typed before: this waits until the value ends with `proposed`, types `path` in its place (when
 * given) and accepts.
 */
export async function answerFileDialog(page: Page, proposed: string, path?: string): Promise<void> {
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ timeout: stepTimeout });
  await page.waitForFunction(
    (end) => document.querySelector<HTMLInputElement>('.quick-input-widget input.input')?.value.endsWith(end),
    proposed,
    { timeout: stepTimeout },
  );
  if (path !== undefined) {
    await input.fill(path);
    const typed = await input.inputValue();
    if (typed !== path) throw new Error(`the file dialog holds ${typed}, not the path typed: ${path}`);
  }
  await input.press('Enter');
}

/**
 * Picks `title` in the command palette and leaves the quick input to what the command shows. The
 * palette lists an extension's commands once the extension host has loaded it: until then it is
 * opened again.
 */
export async function paletteCommand(page: Page, title: string): Promise<void> {
  const row = page
    .locator('.quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: title }) })
    .first();
  const deadline = Date.now() + 2 * stepTimeout;
  for (;;) {
    await openQuickInput(page, 'F1', `>${title}`);
    try {
      await row.waitFor({ timeout: 10_000 });
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await page.keyboard.press('Escape');
    }
  }
  await row.click();
}

/** A row of the open quick pick (the palette, or a pick a command shows) that holds `text`. */
export function quickPickRow(page: Page, text: string | RegExp): Locator {
  return page.locator('.quick-input-list .monaco-list-row').filter({ hasText: text }).first();
}

/** Picks a row of the open quick pick: the row itself, or the first row that holds `text`. */
export async function pickQuickItem(page: Page, item: string | RegExp | Locator, timeout = stepTimeout): Promise<void> {
  const row = typeof item === 'string' || item instanceof RegExp ? quickPickRow(page, item) : item;
  await row.waitFor({ timeout });
  await row.click({ timeout });
}

/**
 * Runs a palette command that asks with a quick pick of its own, and waits until that pick shows
 * `row`. A webview that takes the focus back (one just opened, or restored by a reload) closes the
 * pick as it opens, which answers nothing: the command is run again then. A pick that stays open
 * without the row fails.
 */
export async function paletteCommandWithPick(page: Page, title: string, row: Locator): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  const deadline = Date.now() + 2 * stepTimeout;
  for (;;) {
    await paletteCommand(page, title);
    try {
      await row.waitFor({ timeout: 10_000 });
      return;
    } catch (error) {
      if (Date.now() > deadline || (await widget.isVisible())) throw error;
      process.stdout.write(`the pick of "${title}" closed as it opened; the command is run again\n`);
    }
  }
}

/** Runs a palette command that asks with a quick pick, and picks `row` there (run again if the pick closes first). */
export async function paletteCommandAndPick(page: Page, title: string, row: Locator): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  for (let attempt = 1; ; attempt++) {
    await paletteCommandWithPick(page, title, row);
    try {
      await row.click({ timeout: 10_000 });
      return;
    } catch (error) {
      if (attempt >= 3 || (await widget.isVisible())) throw error;
      process.stdout.write(`the pick of "${title}" closed before its row was clicked; the command is run again\n`);
    }
  }
}

/**
 * The tooltip of a tree row, shown as a user sees it: the pointer enters the row and rests. A tooltip
 * shows on the pointer entering, and a busy workbench misses some entries: the pointer leaves and
 * comes back until it shows.
 */
export async function rowTooltip(page: Page, row: Locator, text: string | RegExp): Promise<Locator> {
  const hover = page.locator('.monaco-hover, .workbench-hover').filter({ hasText: text }).filter({ visible: true });
  for (let attempt = 0; attempt < 6 && !(await hover.first().isVisible()); attempt++) {
    await awayFromHovers(page);
    await row.locator('.label-name').hover();
    await hover
      .first()
      .waitFor({ timeout: 3000 })
      .catch(() => undefined);
  }
  await hover.first().waitFor({ timeout: stepTimeout });
  return hover.first();
}

/**
 * Moves the pointer off the views, so a row's tooltip (drawn over the rows below it) goes away
 * before another row is clicked, as it does when a user's pointer moves on.
 */
async function awayFromHovers(page: Page): Promise<void> {
  await page.mouse.move(700, 700);
  await page
    .locator('.monaco-hover, .workbench-hover')
    .filter({ visible: true })
    .first()
    .waitFor({ state: 'hidden', timeout: 3000 })
    .catch(() => undefined);
}

/**
 * Right-clicks a tree row and chooses `action` in its context menu. On a busy machine the menu can
 * open late (the right-click is made again), and it can leave a click on its item unanswered (it
 * ignores a click that comes as it opens, and a view refresh can swallow one): the item is still
 * highlighted then, and Enter chooses it, as a keyboard user would. With `opens` (what the action
 * shows or changes, e.g. its quick pick or the row's new state), the gesture is made again until
 * that appears: only for actions that are safe to ask twice.
 */
export async function contextMenu(page: Page, row: Locator, action: string, opens?: Locator): Promise<void> {
  const item = page.getByRole('menuitem', { name: action, exact: true });
  const menu = page.locator('.context-view .monaco-menu');
  for (let attempt = 0; ; attempt++) {
    // An earlier attempt may have worked after all, only slowly.
    if (attempt > 0 && opens && (await opens.isVisible())) return;
    await page.keyboard.press('Escape');
    await awayFromHovers(page);
    await row.click({ button: 'right' });
    try {
      await item.waitFor({ timeout: 5000 });
    } catch (error) {
      if (attempt >= 3) throw error;
      continue;
    }
    await sleep(300);
    await item.click();
    const closed = await menu
      .waitFor({ state: 'hidden', timeout: 2000 })
      .then(() => true)
      .catch(() => false);
    if (!closed && (await item.isVisible())) {
      await page.keyboard.press('Enter');
      await menu.waitFor({ state: 'hidden', timeout: stepTimeout });
    }
    if (!opens) return;
    try {
      await opens.waitFor({ timeout: 10_000 });
      return;
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

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
    await paletteCommand(this.page, title);
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
    // The name and, since VS Code 1.10x, the extension in a separate suffix span: the container holds both.
    return this.page.locator('.tabs-container .tab.active .monaco-icon-label-container');
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
