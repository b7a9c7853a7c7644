/**
 * The Modbus part of the config check: what the schema cannot say about Modbus instruments. A
 * register type that fits its table, a value that one read can take and that ends inside the
 * 16-bit address space, and instruments on one shared RTU line that agree on its settings.
 * Overlapping registers are legal (a float32 and its high word as uint16 share one read:
 * drivers/modbus/plan.ts), as are instruments sharing a device; neither is checked.
 */
import type { PathProblem, PathSegment } from '../../config/problem.js';
import type { ModbusInstrumentConfig } from './config.js';
import { parseRegisterType } from './register-type.js';
import { checkRtuLines } from './rtu-lines.js';

/** Modbus addresses are 16-bit: a value must end at or before address 65535. */
const ADDRESS_SPACE = 65536;

const MODBUS_PROTOCOLS: ReadonlySet<string> = new Set<ModbusInstrumentConfig['protocol']>(['modbus-tcp', 'modbus-rtu', 'modbus-rtu-tcp']);

/**
 * The config checks of Modbus: `instrument` for each instrument on its own (paths from `at`, the
 * instrument's), `instruments` across the list (paths from the config's root), where `undefined`
 * entries (instruments that failed the schema) keep their index but are skipped.
 */
export const modbusConfigCheck = {
  instrument(inst: { protocol: string }, at: PathSegment[]): PathProblem[] {
    return MODBUS_PROTOCOLS.has(inst.protocol) ? checkModbusChannels(inst as ModbusInstrumentConfig, at) : [];
  },
  /** Instruments sharing a serial line (or RTU-over-TCP converter port) must agree on its settings. */
  instruments(instruments: readonly ({ protocol: string } | undefined)[]): PathProblem[] {
    return checkRtuLines(instruments);
  },
};

function checkModbusChannels(inst: Pick<ModbusInstrumentConfig, 'channels' | 'maxRegistersPerRead'>, at: PathSegment[]): PathProblem[] {
  const problems: PathProblem[] = [];
  inst.channels.forEach((ch, j) => {
    const chAt = [...at, 'channels', j];
    let registers: number;
    try {
      registers = parseRegisterType(ch.type, ch.function).registers;
    } catch (err) {
      problems.push({ at: [...chAt, 'type'], message: err instanceof Error ? err.message : String(err) });
      return;
    }
    // One value is read in one request: the planner cannot split it across a smaller cap.
    const bits = ch.function === 'coil' || ch.function === 'discrete';
    if (!bits && registers > inst.maxRegistersPerRead) {
      problems.push({
        at: [...chAt, 'type'],
        message: `${ch.type} spans ${registers} registers, more than maxRegistersPerRead (${inst.maxRegistersPerRead}) lets one read take: raise maxRegistersPerRead or use a shorter type`,
      });
    }
    const end = ch.address + registers - 1;
    if (end >= ADDRESS_SPACE) {
      problems.push({
        at: [...chAt, 'address'],
        message: `${ch.type} at ${ch.address} spans registers ${ch.address} to ${end}, past the last address ${ADDRESS_SPACE - 1}`,
      });
    }
  });
  return problems;
}
