import type { MetrogateConfig } from '../../config/schema.js';
import { buildGateway, type Roles } from '../gateway.js';
import { createLogger } from '../log.js';

/** `metrogate run`: start, then stop cleanly on SIGINT/SIGTERM (delivering what was polled). */
export async function runGateway(config: MetrogateConfig, roles: Roles): Promise<number> {
  const log = createLogger(config.gateway?.logLevel ?? 'info');
  const gateway = buildGateway(config, log, roles);
  await gateway.start();
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
  await gateway.stop();
  return 0;
}
