/** The Modbus transports as drivers/registry.ts runs them: TCP per instrument, RTU per shared line. */
import type { DriverPlugin } from '../plugin.js';
import type { ModbusTcpInstrumentConfig } from './config.js';
import { ModbusRtuDriver } from './modbus-rtu-driver.js';
import { ModbusTcpDriver } from './modbus-tcp-driver.js';
import { pollPhase } from './poll-grid.js';
import { lineName, type RtuInstrumentConfig } from './rtu-lines.js';

export const modbusTcpPlugin: DriverPlugin<ModbusTcpInstrumentConfig> = {
  unitName: (inst) => inst.id,
  create: ({ site, instruments, log, place }) =>
    new ModbusTcpDriver(site, instruments, log, [pollPhase(place.index, place.of, instruments[0]!.pollIntervalMs)]),
};

/** One master owns a line: every instrument on it is one unit. */
export const modbusRtuPlugin: DriverPlugin<RtuInstrumentConfig> = {
  unitName: lineName,
  create: ({ site, instruments, log }) => new ModbusRtuDriver(instruments[0]!.protocol, site, instruments, log),
};
