import type { InstrumentConfig } from '../config/schema.js';
import type { Logger } from '../gateway/log.js';
import type { Driver } from './driver.js';
import { ModbusTcpDriver } from './modbus/modbus-tcp-driver.js';
import { ModbusRtuDriver } from './modbus/modbus-rtu-driver.js';
import { pollPhase } from './modbus/poll-grid.js';
import { isRtu, lineName } from './modbus/rtu-lines.js';
import { OpcuaDriver } from './opcua/opcua-driver.js';

/**
 * What starts and stops together: one instrument (its own connection), or one shared RTU line
 * with every instrument on it (one master owns the line). A hot reload restarts only the units
 * whose instruments changed. Adding a protocol touches its folder, its config schema and this file.
 */
export interface DriverUnit {
  /** `<protocol> <instrument id>`, or `<protocol> <line>` for RTU. */
  key: string;
  instruments: InstrumentConfig[];
}

export interface RunningUnit {
  key: string;
  /** Ids of the unit's instruments. */
  instruments: string[];
  driver: Driver;
}

export function driverUnits(instruments: readonly InstrumentConfig[]): DriverUnit[] {
  const units: DriverUnit[] = [];
  const lines = new Map<string, DriverUnit>();
  for (const inst of instruments) {
    if (!isRtu(inst)) {
      units.push({ key: `${inst.protocol} ${inst.id}`, instruments: [inst] });
      continue;
    }
    const key = `${inst.protocol} ${lineName(inst)}`;
    let unit = lines.get(key);
    if (!unit) {
      unit = { key, instruments: [] };
      lines.set(key, unit);
      units.push(unit);
    }
    unit.instruments.push(inst);
  }
  return units;
}

/**
 * One driver per unit of `instruments` (only the units named in `only`, when given). Start phases
 * are spread over every instrument of the protocol, as if one driver held them all, so a restarted
 * unit keeps its place in the poll waves.
 */
export function createDriverUnits(site: string, instruments: readonly InstrumentConfig[], log: Logger, only?: ReadonlySet<string>): RunningUnit[] {
  const tcp = instruments.filter((i) => i.protocol === 'modbus-tcp');
  const ua = instruments.filter((i) => i.protocol === 'opcua');
  return driverUnits(instruments)
    .filter((u) => !only || only.has(u.key))
    .map((unit) => {
      const first = unit.instruments[0]!;
      let driver: Driver;
      if (first.protocol === 'modbus-tcp') {
        driver = new ModbusTcpDriver(site, [first], log, [pollPhase(tcp.indexOf(first), tcp.length, first.pollIntervalMs)]);
      } else if (first.protocol === 'opcua') {
        driver = new OpcuaDriver(site, [first], log, [Math.floor((ua.indexOf(first) * first.polling.intervalMs) / ua.length)]);
      } else {
        driver = new ModbusRtuDriver(first.protocol, site, unit.instruments.filter(isRtu), log);
      }
      return { key: unit.key, instruments: unit.instruments.map((i) => i.id), driver };
    });
}

export function createDrivers(site: string, instruments: readonly InstrumentConfig[], log: Logger): Driver[] {
  return createDriverUnits(site, instruments, log).map((u) => u.driver);
}
