import { z } from 'zod';

/**
 * Messages of the "latest run metrics" panel, both ways. Host and webview import this file; every
 * message is parsed with these schemas on arrival, so a malformed one is rejected, not trusted.
 */

export const MetricsCommandSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('refresh') }),
]);
export type MetricsCommand = z.infer<typeof MetricsCommandSchema>;

export const SeriesPointSchema = z.object({ step: z.number(), value: z.number() });

export const MetricSeriesSchema = z.object({
  key: z.string(),
  points: z.array(SeriesPointSchema),
});
export type MetricSeries = z.infer<typeof MetricSeriesSchema>;

export const RunHeaderSchema = z.object({
  id: z.string(),
  name: z.string(),
  experiment: z.string(),
  status: z.string(),
  createdAt: z.string(),
});
export type RunHeader = z.infer<typeof RunHeaderSchema>;

export const MetricsNotificationSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('snapshot'),
    run: RunHeaderSchema.nullable(),
    series: z.array(MetricSeriesSchema),
  }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);
export type MetricsNotification = z.infer<typeof MetricsNotificationSchema>;
