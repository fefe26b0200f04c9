import type { CompareCommand, CompareNotification, SeriesViewMessage } from '../../src/protocol/compare';

type SeriesAnswer = Extract<CompareNotification, { type: 'series' }>;
type AppendBatch = Extract<CompareNotification, { type: 'append' }>;

export interface SeriesSubscriber {
  onSeries(answer: SeriesAnswer): void;
  onAppend(batch: AppendBatch): void;
}

/**
 * Routes chart data to the chart that asked for it: each request gets a fresh id, and answers or
 * live appends for an id the chart has since replaced (a newer zoom, another smoothing) are dropped.
 */
export class SeriesBroker {
  private nextId = 1;
  private readonly byRequest = new Map<number, SeriesSubscriber>();

  constructor(private readonly send: (command: CompareCommand) => void) {}

  request(
    subscriber: SeriesSubscriber,
    previous: number | undefined,
    request: { key: string; runIds: string[]; view: SeriesViewMessage; groupBy: string | null; live: boolean },
  ): number {
    if (previous !== undefined) this.byRequest.delete(previous);
    const requestId = this.nextId++;
    this.byRequest.set(requestId, subscriber);
    this.send({ type: 'requestSeries', requestId, ...request });
    return requestId;
  }

  release(requestId: number | undefined): void {
    if (requestId !== undefined) this.byRequest.delete(requestId);
  }

  deliver(notification: SeriesAnswer | AppendBatch): void {
    const subscriber = this.byRequest.get(notification.requestId);
    if (!subscriber) return;
    if (notification.type === 'series') subscriber.onSeries(notification);
    else subscriber.onAppend(notification);
  }
}
