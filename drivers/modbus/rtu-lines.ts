/**
 * Groups RTU instruments into shared lines. Instruments name their line by its serial `port`
 * (modbus-rtu) or by `host` and `port` (modbus-rtu-tcp); a line's settings may be written on any
 * of its instruments, and where several give one they must agree. What nobody gives takes the
 * Modbus serial line defaults. Used by the config checks (every disagreement, with its path) and
 * by the driver (which then trusts a validated config).
 */
import type { PathProblem } from '../../config/problem.js';
import type { ModbusRtuInstrumentConfig, ModbusRtuTcpInstrumentConfig, Parity } from './config.js';

export type RtuInstrumentConfig = ModbusRtuInstrumentConfig | ModbusRtuTcpInstrumentConfig;

/** Modbus over Serial Line v1.02: 19200 baud and even parity are the required defaults. */
export const SERIAL_DEFAULTS = { baudRate: 19200, parity: 'even' as Parity, dataBits: 8 as 7 | 8, stopBits: 1 as 1 | 2 };

export type LineSpec =
  | { kind: 'serial'; name: string; path: string; baudRate: number; parity: Parity; dataBits: 7 | 8; stopBits: 1 | 2 }
  | { kind: 'tcp'; name: string; host: string; port: number; baudRate?: number };

export interface LineGroup {
  line: LineSpec;
  instruments: RtuInstrumentConfig[];
}

/** Any instrument of the config, as far as this module looks at it. */
interface AnyInstrument {
  protocol: string;
}

export function isRtu(inst: AnyInstrument | undefined): inst is RtuInstrumentConfig {
  return inst?.protocol === 'modbus-rtu' || inst?.protocol === 'modbus-rtu-tcp';
}

export function lineName(inst: RtuInstrumentConfig): string {
  return inst.protocol === 'modbus-rtu' ? inst.line.port : `${inst.line.host}:${inst.line.port}`;
}

interface Draft {
  name: string;
  protocol: RtuInstrumentConfig['protocol'];
  instruments: RtuInstrumentConfig[];
  /** Each setting with the index of the instrument that first gave it. */
  given: Map<string, { value: unknown; index: number; id: string }>;
}

const SETTINGS = ['baudRate', 'parity', 'dataBits', 'stopBits'] as const;

/**
 * Groups instruments[i] that are RTU into lines (in order of first appearance); `undefined`
 * entries (instruments that failed the schema) are skipped but keep their index.
 */
export function groupLines(instruments: readonly (AnyInstrument | undefined)[]): { lines: LineGroup[]; problems: PathProblem[] } {
  const drafts = new Map<string, Draft>();
  const problems: PathProblem[] = [];
  instruments.forEach((inst, index) => {
    if (!isRtu(inst)) return;
    const name = lineName(inst);
    const key = `${inst.protocol} ${name}`;
    let draft = drafts.get(key);
    if (!draft) {
      draft = { name, protocol: inst.protocol, instruments: [], given: new Map() };
      drafts.set(key, draft);
    }
    draft.instruments.push(inst);
    const line = inst.line as Partial<Record<(typeof SETTINGS)[number], unknown>>;
    for (const setting of SETTINGS) {
      const value = line[setting];
      if (value === undefined) continue;
      const first = draft.given.get(setting);
      if (!first) draft.given.set(setting, { value, index, id: inst.id });
      else if (first.value !== value) {
        problems.push({
          at: ['instruments', index, 'line', setting],
          message:
            `${setting} ${String(value)} differs from ${String(first.value)} given by instruments[${first.index}] (${first.id}) ` +
            `for line ${name}: instruments on one line must agree, or leave it out`,
        });
      }
    }
  });
  const lines = [...drafts.values()].map((d): LineGroup => {
    const given = <T>(setting: (typeof SETTINGS)[number], fallback: T): T => (d.given.get(setting)?.value as T | undefined) ?? fallback;
    const first = d.instruments[0]!;
    if (first.protocol === 'modbus-rtu') {
      return {
        line: {
          kind: 'serial',
          name: d.name,
          path: first.line.port,
          baudRate: given('baudRate', SERIAL_DEFAULTS.baudRate),
          parity: given('parity', SERIAL_DEFAULTS.parity),
          dataBits: given('dataBits', SERIAL_DEFAULTS.dataBits),
          stopBits: given('stopBits', SERIAL_DEFAULTS.stopBits),
        },
        instruments: d.instruments,
      };
    }
    const baudRate = given<number | undefined>('baudRate', undefined);
    const line: LineSpec = { kind: 'tcp', name: d.name, host: first.line.host, port: first.line.port };
    if (baudRate !== undefined) line.baudRate = baudRate;
    return { line, instruments: d.instruments };
  });
  return { lines, problems };
}

/** The config check: every RTU line whose instruments disagree on a setting. */
export function checkRtuLines(instruments: readonly (AnyInstrument | undefined)[]): PathProblem[] {
  return groupLines(instruments).problems;
}
