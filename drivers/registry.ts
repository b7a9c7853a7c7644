import type { Logger } from '../gateway/log.js';
import type { Driver } from './driver.js';
import type { ModbusInstrumentConfig } from './modbus/config.js';
import { modbusRtuPlugin, modbusTcpPlugin } from './modbus/plugin.js';
import type { OpcuaInstrumentConfig } from './opcua/config.js';
import { opcuaPlugin } from './opcua/plugin.js';
import type { DriverPlugin } from './plugin.js';

/** Any instrument of the config, as the drivers read it (the config adds calibration to each). */
export type DriverInstrumentConfig = ModbusInstrumentConfig | OpcuaInstrumentConfig;
type Protocol = DriverInstrumentConfig['protocol'];

/**
 * Protocol → plugin. A protocol added to the config's instrument union and missing here fails
 * to compile. Adding a protocol touches its folder, config/schema.ts (its schema in the union),
 * config/check-semantics.ts (its check) and this map.
 */
const PLUGINS: { [P in Protocol]: DriverPlugin<Extract<DriverInstrumentConfig, { protocol: P }>> } = {
  'modbus-tcp': modbusTcpPlugin,
  'modbus-rtu': modbusRtuPlugin,
  'modbus-rtu-tcp': modbusRtuPlugin,
  opcua: opcuaPlugin,
};

function pluginOf<I extends DriverInstrumentConfig>(inst: I): DriverPlugin<I> {
  // The map pairs each protocol with the plugin of that protocol's instruments; TypeScript cannot
  // follow the pairing through an index by a union key.
  return PLUGINS[inst.protocol] as unknown as DriverPlugin<I>;
}

/**
 * What starts and stops together: one instrument (its own connection), or one shared RTU line
 * with every instrument on it (one master owns the line). A hot reload restarts only the units
 * whose instruments changed.
 */
export interface DriverUnit<I extends DriverInstrumentConfig = DriverInstrumentConfig> {
  /** `<protocol> <instrument id>`, or `<protocol> <line>` for RTU. */
  key: string;
  instruments: I[];
}

export interface RunningUnit {
  key: string;
  /** Ids of the unit's instruments. */
  instruments: string[];
  driver: Driver;
}

export function driverUnits<I extends DriverInstrumentConfig>(instruments: readonly I[]): DriverUnit<I>[] {
  const units = new Map<string, DriverUnit<I>>();
  for (const inst of instruments) {
    const key = `${inst.protocol} ${pluginOf(inst).unitName(inst)}`;
    let unit = units.get(key);
    if (!unit) {
      unit = { key, instruments: [] };
      units.set(key, unit);
    }
    unit.instruments.push(inst);
  }
  return [...units.values()];
}

/**
 * One driver per unit of `instruments` (only the units named in `only`, when given). Start phases
 * are spread over every instrument of the protocol, as if one driver held them all, so a restarted
 * unit keeps its place in the poll waves.
 */
export function createDriverUnits(site: string, instruments: readonly DriverInstrumentConfig[], log: Logger, only?: ReadonlySet<string>): RunningUnit[] {
  return driverUnits(instruments)
    .filter((u) => !only || only.has(u.key))
    .map((unit) => {
      const first = unit.instruments[0]!;
      const peers = instruments.filter((i) => i.protocol === first.protocol);
      const place = { index: peers.indexOf(first), of: peers.length };
      const driver = pluginOf(first).create({ site, instruments: unit.instruments, log, place });
      return { key: unit.key, instruments: unit.instruments.map((i) => i.id), driver };
    });
}

export function createDrivers(site: string, instruments: readonly DriverInstrumentConfig[], log: Logger): Driver[] {
  return createDriverUnits(site, instruments, log).map((u) => u.driver);
}
