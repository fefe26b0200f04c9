import type { z } from 'zod';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const api: VsCodeApi = acquireVsCodeApi();

/**
 * The webview side of a panel's channel: validates every host message against the panel's
 * protocol, and says `ready` once listening so the host starts sending.
 */
export class WebviewMessenger<Command, Notification> {
  constructor(
    private readonly notificationSchema: z.ZodType<Notification>,
    onNotification: (notification: Notification) => void,
  ) {
    window.addEventListener('message', (event: MessageEvent<unknown>) => {
      const parsed = this.notificationSchema.safeParse(event.data);
      if (!parsed.success) {
        console.warn('Trackside: ignored a host message that does not fit the protocol', parsed.error.issues[0]);
        return;
      }
      onNotification(parsed.data);
    });
  }

  send(command: Command): void {
    api.postMessage(command);
  }

  getState<T>(schema: z.ZodType<T>): T | undefined {
    const parsed = schema.safeParse(api.getState());
    return parsed.success ? parsed.data : undefined;
  }

  setState(state: unknown): void {
    api.setState(state);
  }
}
