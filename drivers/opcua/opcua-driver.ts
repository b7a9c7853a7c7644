import type { OpcuaInstrumentConfig } from './config.js';
import type { Logger } from '../../gateway/log.js';
import type { Driver, DriverOutput } from '../driver.js';
import { OpcuaInstrument, type OpcuaInstrumentStats, type UaModule } from './opcua-instrument.js';

export type { OpcuaInstrumentStats } from './opcua-instrument.js';
export type { DeviceCalibration } from './device-calibration.js';

let ua: Promise<UaModule> | undefined;

/**
 * node-opcua costs ~75 MB of memory and half a second to load: only a gateway that has an OPC UA
 * instrument pays, when its driver starts.
 */
function loadUa(log: Logger): Promise<UaModule> {
  ua ??= (async () => {
    const { routeNodeOpcuaLogs } = await import('./node-opcua-logs.js');
    routeNodeOpcuaLogs(log);
    return import('./ua-session.js');
  })();
  return ua;
}

/** All OPC UA instruments of a gateway: one independent client and session each. */
export class OpcuaDriver implements Driver {
  readonly protocol = 'opcua';
  private instruments: OpcuaInstrument[] = [];

  constructor(
    private readonly site: string,
    private readonly configs: OpcuaInstrumentConfig[],
    private readonly log: Logger,
    /** Start offset per instrument; by default spread evenly over the interval. */
    private readonly offsets?: readonly number[],
  ) {}

  start(output: DriverOutput): void {
    const log = this.log.child({ driver: this.protocol });
    this.instruments = this.configs.map((cfg) => new OpcuaInstrument(this.site, cfg, output, log, () => loadUa(log)));
    const n = this.instruments.length;
    this.instruments.forEach((inst, i) => inst.start(this.offsets?.[i] ?? Math.floor((i * this.configs[i]!.polling.intervalMs) / n)));
  }

  async stop(): Promise<void> {
    await Promise.all(this.instruments.map((i) => i.stop()));
  }

  stats(): OpcuaInstrumentStats[] {
    return this.instruments.map((i) => i.stats);
  }
}
