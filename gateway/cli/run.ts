import type { MetrogateConfig } from '../../config/schema.js';
import { serveGatewayApi } from '../api/serve-gateway.js';
import { buildGateway, type Roles } from '../gateway.js';
import { createLogger } from '../log.js';

/**
 * `metrogate run`: the API first (so /healthz answers while the gateway connects), then the
 * gateway; on SIGINT/SIGTERM readiness turns false, the gateway stops (delivering what was
 * polled), then the API closes.
 */
export async function runGateway(config: MetrogateConfig, roles: Roles): Promise<number> {
  const log = createLogger(config.gateway?.logLevel ?? 'info');
  const gateway = buildGateway(config, log, roles);
  const api = await serveGatewayApi(gateway, config, log);
  try {
    await gateway.start();
    api?.running();
    await new Promise<void>((resolve) => {
      const onSignal = (signal: NodeJS.Signals) => {
        log.info({ signal }, 'stopping');
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        resolve();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
    api?.stopping();
    await gateway.stop();
  } finally {
    await api?.close();
  }
  return 0;
}
