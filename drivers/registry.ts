import type { InstrumentConfig } from '../config/schema.js';
import type { Logger } from '../gateway/log.js';
import type { Driver } from './driver.js';
import { ModbusTcpDriver } from './modbus/modbus-tcp-driver.js';
import { ModbusRtuDriver } from './modbus/modbus-rtu-driver.js';
import { isRtu } from './modbus/rtu-lines.js';
import { OpcuaDriver } from './opcua/opcua-driver.js';

/**
 * One line per protocol: how the gateway turns the configured instruments into drivers.
 * Adding a protocol touches its folder, its config schema and one entry here.
 */
type DriverFactory = (site: string, instruments: InstrumentConfig[], log: Logger) => Driver[];

const FACTORIES: Record<InstrumentConfig['protocol'], DriverFactory> = {
  'modbus-tcp': (site, instruments, log) =>
    [new ModbusTcpDriver(site, instruments.filter((i) => i.protocol === 'modbus-tcp'), log)],
  'modbus-rtu': (site, instruments, log) => [new ModbusRtuDriver('modbus-rtu', site, instruments.filter(isRtu), log)],
  'modbus-rtu-tcp': (site, instruments, log) => [new ModbusRtuDriver('modbus-rtu-tcp', site, instruments.filter(isRtu), log)],
  opcua: (site, instruments, log) =>
    [new OpcuaDriver(site, instruments.filter((i) => i.protocol === 'opcua'), log)],
};

export function createDrivers(site: string, instruments: readonly InstrumentConfig[], log: Logger): Driver[] {
  const byProtocol = new Map<InstrumentConfig['protocol'], InstrumentConfig[]>();
  for (const inst of instruments) byProtocol.set(inst.protocol, [...(byProtocol.get(inst.protocol) ?? []), inst]);
  return [...byProtocol].flatMap(([protocol, list]) => FACTORIES[protocol](site, list, log));
}
