import type { InstrumentConfig, MetrogateConfig } from '../../config/schema.js';
import type { DriverStats } from '../../drivers/driver.js';
import type { Gateway } from '../gateway.js';
import type { ApiDeps, InstrumentInfo, Phase } from './api-deps.js';

export interface GatewayDepsOptions {
  phase: () => Phase;
}

/** Adapts a built Gateway (and its config) to what the API needs. */
export function apiDepsFromGateway(gateway: Gateway, config: MetrogateConfig, opts: GatewayDepsOptions): ApiDeps {
  const { pipeline } = gateway;
  // Recomputed when a hot reload replaces the gateway's list (a new array each time).
  let source: readonly InstrumentConfig[] | null = null;
  let instruments: readonly InstrumentInfo[] = [];
  const current = (): readonly InstrumentInfo[] => {
    const list = gateway.instruments();
    if (list !== source) {
      source = list;
      instruments = list.map(instrumentInfo);
    }
    return instruments;
  };

  // Drivers keep one stats object per instrument and update it in place; index them once they
  // exist (after start) instead of listing every driver's stats for every batch.
  const statsByInstrument = new Map<string, DriverStats>();
  const statsOf = (instrument: string): DriverStats | undefined => {
    let s = statsByInstrument.get(instrument);
    if (s === undefined) {
      for (const d of gateway.drivers) for (const st of d.stats()) statsByInstrument.set(st.instrument, st);
      s = statsByInstrument.get(instrument);
    }
    return s;
  };

  return {
    site: config.site,
    gatewayId: gateway.id,
    get instruments() {
      return current();
    },
    onInstrumentsChanged: (listener) => gateway.onInstruments(() => listener()),
    onReadings: (listener) => pipeline.onReadings(listener),
    counters: (id) => pipeline.counters.get(id),
    instrumentState: (id) => pipeline.instrumentState(id),
    driverStats: () => gateway.drivers.flatMap((d) => d.stats()),
    lastCycleMs: (id) => statsOf(id)?.lastCycleMs,
    sinks: () => gateway.sinks.map((s) => ({ name: s.name, connected: s.connected(), noSubscribers: s.refusedNoSubscribers?.() })),
    ingest: () => {
      const ingest = gateway.ingest;
      return ingest && config.influx
        ? { database: config.influx.database, stats: ingest.stats, ...ingest.health(), listening: ingest.listeningHealth() }
        : null;
    },
    spools: () => pipeline.spoolStats(),
    completeness: () => ({
      gateway: gateway.resends && {
        epoch: pipeline.epoch ?? null,
        lastSeq: pipeline.acceptedSeqs(),
        resends: gateway.resends,
        retention: pipeline.retention(),
      },
      ingest: gateway.ingest?.repairs() ?? null,
    }),
    calibration: gateway.calibration,
    checks: gateway.checks,
    ...(config.calibration && { calibrationSettings: config.calibration }),
    phase: opts.phase,
  };
}

function instrumentInfo(inst: InstrumentConfig): InstrumentInfo {
  return {
    id: inst.id,
    protocol: inst.protocol,
    ...(inst.name !== undefined ? { name: inst.name } : {}),
    ...(inst.lab !== undefined ? { lab: inst.lab } : {}),
    channels: inst.channels.map((ch) => ({ id: ch.id, quantity: ch.quantity, unit: ch.unit })),
  };
}
