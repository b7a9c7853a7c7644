import type { ApiConfig, ApiStreamConfig } from './api-config.js';
import type { ApiDeps } from './api-deps.js';
import type { LatestReadings } from './latest-readings.js';
import type { GatewayMetrics } from './metrics.js';
import type { SseHub } from './sse-hub.js';

/** What every route plugin is handed by buildApi. */
export interface ApiContext {
  deps: ApiDeps;
  config: ApiConfig & { stream: ApiStreamConfig };
  latest: LatestReadings;
  sse: SseHub;
  metrics: GatewayMetrics;
}
