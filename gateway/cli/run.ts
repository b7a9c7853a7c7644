import type { MetrogateConfig } from '../../config/schema.js';
import { serveGatewayApi, type GatewayApi } from '../api/serve-gateway.js';
import { buildGateway, type Gateway, type Roles } from '../gateway.js';
import { createLogger, type Logger } from '../log.js';
import { ConfigReloader } from './config-reloader.js';
import { heapGrowthFor } from './heap-tuning.js';
import { StartFailure } from './start-failure.js';

/**
 * `metrogate run`: the API first (so /healthz answers while the gateway connects), then the
 * gateway; on SIGINT/SIGTERM readiness turns false, the gateway stops (delivering what was
 * polled), then the API closes. SIGHUP (or, with --watch, a change of the file) reloads the config.
 * A start that fails stops whatever it had started and throws a StartFailure (one line, exit 1);
 * a signal that arrives while starting stops the gateway as soon as the start returns.
 */
export async function runGateway(config: MetrogateConfig, roles: Roles, reload?: { file: string; watch: boolean }): Promise<number> {
  const log = createLogger(config.gateway?.logLevel ?? 'info');
  const heapGrowthPercent = heapGrowthFor(config.instruments.length);
  log.debug({ heapGrowthPercent: heapGrowthPercent ?? 'V8 default' }, 'old-generation growth after a full collection');
  const stopRequested = onStopSignal(log);
  const gateway = buildGateway(config, log, roles);
  let api: GatewayApi | null;
  try {
    api = await serveGatewayApi(gateway, config, log);
  } catch (err) {
    stopRequested.cancel();
    throw failure(log, err);
  }
  const reloader = reload ? new ConfigReloader(reload.file, gateway, log) : null;
  try {
    const started = startOrUndo(gateway, log);
    // A start waiting on something that does not come (a broker that never answers) must not
    // make SIGTERM wait for it.
    const first = await Promise.race([started.then(() => 'started' as const), stopRequested.signal.then(() => 'signal' as const)]);
    if (first === 'started') {
      api?.running();
      reloader?.start(reload!.watch);
      await stopRequested.signal;
      reloader?.stop();
    } else {
      started.catch(() => undefined);
    }
    api?.stopping();
    await gateway.stop();
  } finally {
    stopRequested.cancel();
    await api?.close();
  }
  return 0;
}

async function startOrUndo(gateway: Gateway, log: Logger): Promise<void> {
  try {
    await gateway.start();
  } catch (err) {
    const stopped = failure(log, err);
    // What started before the failure (the ingest's MQTT client, a sink's connection, the
    // spool) would otherwise keep the process alive and the spool locked.
    await gateway.stop().catch((e: unknown) => log.error({ err: (e as Error).message }, 'stopping after a failed start'));
    throw stopped;
  }
}

function failure(log: Logger, err: unknown): StartFailure {
  const reason = err instanceof Error ? err.message : String(err);
  log.error({ err: reason }, 'start failed; stopping what had started');
  return new StartFailure(reason);
}

/** SIGINT/SIGTERM handled from the very start: a signal during start is kept, not lost. */
function onStopSignal(log: Logger): { signal: Promise<void>; cancel: () => void } {
  let resolveSignal!: () => void;
  const signal = new Promise<void>((resolve) => (resolveSignal = resolve));
  const onSignal = (name: NodeJS.Signals) => {
    log.info({ signal: name }, 'stopping');
    cancel();
    resolveSignal();
  };
  const cancel = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { signal, cancel };
}
