/** What one replay path measured. */

export type ReplayPath = 'direct' | 'mqtt';

export interface PathResult {
  path: ReplayPath;
  readings: number;
  replaySeconds: number;
  /** When the gateway had sent everything from the spool (mqtt: acknowledged by the broker; direct: the last requests under way). */
  dispatchedSeconds: number;
  replayPerS: number;
  /** Pre-built 5,000-line requests, one at a time (the baseline). */
  baselinePerS: number;
  /** The same, writeConcurrency requests at a time (what the direct sink does). */
  baselineConcurrentPerS: number;
  writeConcurrency: number;
  /** replayPerS / baselinePerS; the target is ≥ 0.8. */
  ratio: number;
  ratioConcurrent: number;
  /** Live readings stored per second during the replay (expected: liveDevices × 50). */
  livePerS: number;
  liveExpectedPerS: number;
  gatewayCore: number;
  gatewayPeakRssMB: number;
  /** The gateway's RSS every 2 s from the start of the replay, MB: bounded memory shows as a plateau. */
  gatewayRssMB: number[];
  /** CPU of the others during the replay (core shares): where the time goes on a 2-core box. */
  ingestCore: number;
  influxCore: number;
  brokerCore: number;
  /** The spool file's size before the replay. */
  spoolMB: number;
  stored: number;
  /** Readings refused by InfluxDB (dropped by the ingest or rejected by the sink); anything but 0 is a loss to fix. */
  rejected: number;
}
