import type * as vscode from 'vscode';
import type { z } from 'zod';

/**
 * The host side of one panel's message channel. Outgoing notifications wait until the webview
 * has sent `ready` (a post before that is lost); incoming messages are parsed with the panel's
 * protocol schema, and anything that does not fit is logged and dropped.
 */
export class HostMessenger<Command extends { type: string }, Notification> implements vscode.Disposable {
  private ready = false;
  private queue: Notification[] = [];
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly webview: vscode.Webview,
    commandSchema: z.ZodType<Command>,
    private readonly log: vscode.LogOutputChannel,
    private readonly panelName: string,
    onCommand: (command: Command) => void | Promise<void>,
  ) {
    this.subscription = webview.onDidReceiveMessage((message: unknown) => {
      const parsed = commandSchema.safeParse(message);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        this.log.warn(
          `${panelName}: rejected a message that does not fit the protocol (${issue?.path.join('.') || 'message'}: ${issue?.message ?? 'invalid'})`,
        );
        return;
      }
      if (parsed.data.type === 'ready') this.markReady();
      Promise.resolve(onCommand(parsed.data)).catch((error: unknown) => {
        this.log.error(`${panelName}: handling "${parsed.data.type}" failed`, error);
      });
    });
  }

  /** The webview reloads its document when it is hidden and shown again: wait for a new `ready`. */
  resetHandshake(): void {
    this.ready = false;
  }

  post(notification: Notification): void {
    if (!this.ready) {
      this.queue.push(notification);
      return;
    }
    void this.webview.postMessage(notification).then(undefined, (error: unknown) => {
      this.log.warn(`${this.panelName}: could not post a message`, error);
    });
  }

  private markReady(): void {
    this.ready = true;
    const pending = this.queue;
    this.queue = [];
    for (const notification of pending) this.post(notification);
  }

  dispose(): void {
    this.subscription.dispose();
    this.queue = [];
  }
}
