import type { ModbusTcpInstrumentConfig as InstrumentConfig } from './config.js';
import type { Logger } from '../../gateway/log.js';
import type { Driver, DriverOutput } from '../driver.js';
import { DevicePoller, type ModbusTcpStats } from './device-poller.js';
import { pollPhase } from './poll-grid.js';

/** All Modbus TCP instruments of a gateway: one independent poller (and connection) each. */
export class ModbusTcpDriver implements Driver {
  readonly protocol = 'modbus-tcp';
  private pollers: DevicePoller[] = [];

  constructor(
    private readonly site: string,
    private readonly instruments: InstrumentConfig[],
    private readonly log: Logger,
    /** Start phase per instrument; by default spread over the interval in waves. */
    private readonly phases?: readonly number[],
  ) {}

  start(output: DriverOutput): void {
    this.pollers = this.instruments.map((cfg) => new DevicePoller(this.site, cfg, output, this.log.child({ driver: this.protocol })));
    const n = this.pollers.length;
    this.pollers.forEach((p, i) => p.start(this.phases?.[i] ?? pollPhase(i, n, this.instruments[i]!.pollIntervalMs)));
  }

  async stop(): Promise<void> {
    await Promise.all(this.pollers.map((p) => p.stop()));
  }

  stats(): ModbusTcpStats[] {
    return this.pollers.map((p) => p.stats);
  }
}
