/** OPC UA as drivers/registry.ts runs it: one session per instrument. */
import type { DriverPlugin } from '../plugin.js';
import type { OpcuaInstrumentConfig } from './config.js';
import { OpcuaDriver } from './opcua-driver.js';

export const opcuaPlugin: DriverPlugin<OpcuaInstrumentConfig> = {
  unitName: (inst) => inst.id,
  create: ({ site, instruments, log, place }) => {
    const first = instruments[0]!;
    return new OpcuaDriver(site, instruments, log, [Math.floor((place.index * first.polling.intervalMs) / place.of)]);
  },
};
