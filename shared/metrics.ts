/**
 * Custom CloudWatch metrics as Embedded Metric Format log lines: Lambda ships its stdout to
 * CloudWatch Logs, which extracts the metric. No SDK call, no cloudwatch:PutMetricData grant.
 * The CDK stack builds its alarms from the same names.
 */
export const METRIC_NAMESPACE = "Hoardify";

export const METRICS = {
  /** Spotify refused the refresh token: someone must open /spotify/authorize again. */
  spotifyNeedsReauth: "SpotifyNeedsReauth",
} as const;

export type MetricName = (typeof METRICS)[keyof typeof METRICS];

export function metricLine(name: MetricName, value: number, now: number): string {
  return JSON.stringify({
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [
        { Namespace: METRIC_NAMESPACE, Dimensions: [[]], Metrics: [{ Name: name, Unit: "Count" }] },
      ],
    },
    [name]: value,
  });
}

export function emitMetric(name: MetricName, value: number, now = Date.now()): void {
  process.stdout.write(`${metricLine(name, value, now)}\n`);
}
