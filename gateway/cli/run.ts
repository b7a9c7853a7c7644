import type { MetrogateConfig } from '../../config/schema.js';
import { serveGatewayApi } from '../api/serve-gateway.js';
import { buildGateway, type Roles } from '../gateway.js';
import { createLogger } from '../log.js';
import { ConfigReloader } from './config-reloader.js';
import { heapGrowthFor } from './heap-tuning.js';

/**
 * `metrogate run`: the API first (so /healthz answers while the gateway connects), then the
 * gateway; on SIGINT/SIGTERM readiness turns false, the gateway stops (delivering what was
 * polled), then the API closes. SIGHUP (or, with --watch, a change of the file) reloads the config.
 */
export async function runGateway(config: MetrogateConfig, roles: Roles, reload?: { file: string; watch: boolean }): Promise<number> {
  const log = createLogger(config.gateway?.logLevel ?? 'info');
  const heapGrowthPercent = heapGrowthFor(config.instruments.length);
  log.debug({ heapGrowthPercent: heapGrowthPercent ?? 'V8 default' }, 'old-generation growth after a full collection');
  const gateway = buildGateway(config, log, roles);
  const api = await serveGatewayApi(gateway, config, log);
  const reloader = reload ? new ConfigReloader(reload.file, gateway, log) : null;
  try {
    await gateway.start();
    api?.running();
    reloader?.start(reload!.watch);
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
    reloader?.stop();
    api?.stopping();
    await gateway.stop();
  } finally {
    await api?.close();
  }
  return 0;
}
