/**
 * `metrogate scan`: which unit ids answer on a line or TCP endpoint, and which address ranges of
 * each table they let a client read.
 */
import type { RegisterFunction } from '../config.js';
import type { ReadResult } from '../poll-cycle.js';
import { classifyError, type ReadFailure } from '../read-failure.js';
import { MAX_BITS_PER_READ, MAX_REGISTERS_PER_READ, isBitFunction } from '../register-type.js';
import { findRanges, type ProbeResult } from './find-ranges.js';

/** Reads from any unit id: the RTU master as is, or a Modbus TCP client. */
export interface UnitReader {
  read(unitId: number, fn: RegisterFunction, address: number, count: number, timeoutMs: number): Promise<ReadResult>;
}

export interface ScanOptions {
  units: readonly number[];
  functions: readonly RegisterFunction[];
  timeoutMs: number;
  /** Distance between probe addresses (see find-ranges.ts). */
  step: number;
  /** Scan addresses below this one. */
  end: number;
  /** Registers per read the devices accept (some cap it below 125). */
  maxRegisters: number;
  progress?: (message: string) => void;
}

export type Ranges = Array<[number, number]>;

export interface UnitFound {
  unitId: number;
  tables: Partial<Record<RegisterFunction, Ranges>>;
  notes: string[];
}

/** Answers that prove a slave is there, even if the answer is an exception or mangled. */
function answered(failure: ReadFailure): boolean {
  return failure.kind === 'exception' || (failure.kind === 'invalid' && (failure.garbage === 'crc' || failure.garbage === 'truncated'));
}

export async function scanUnits(reader: UnitReader, options: ScanOptions): Promise<UnitFound[]> {
  const found: UnitFound[] = [];
  for (const unitId of options.units) {
    try {
      await reader.read(unitId, 'holding', 0, 1, options.timeoutMs);
    } catch (err) {
      if (!answered(classifyError(err))) continue;
    }
    options.progress?.(`unit ${unitId} answers; looking for readable ranges`);
    found.push(await scanUnit(reader, unitId, options));
  }
  return found;
}

async function scanUnit(reader: UnitReader, unitId: number, options: ScanOptions): Promise<UnitFound> {
  const unit: UnitFound = { unitId, tables: {}, notes: [] };
  for (const fn of options.functions) {
    const maxCount = isBitFunction(fn) ? MAX_BITS_PER_READ : Math.min(options.maxRegisters, MAX_REGISTERS_PER_READ);
    const probe = async (address: number, count: number): Promise<ProbeResult> => {
      for (let attempt = 0; ; attempt++) {
        try {
          await reader.read(unitId, fn, address, count, options.timeoutMs);
          return 'ok';
        } catch (err) {
          const failure = classifyError(err);
          if (failure.kind === 'exception') return failure.code === 1 ? 'unsupported' : 'refused';
          // A lost answer on a noisy line is worth one more try; then the unit is given up.
          if (attempt >= 1) throw new Error(`unit ${unitId} ${fn} ${address}+${count}: ${failure.reason}`);
        }
      }
    };
    try {
      const ranges = await findRanges(probe, { maxCount, step: Math.min(options.step, maxCount), end: options.end });
      if (ranges === null) unit.notes.push(`${fn}: not supported (exception 1)`);
      else if (ranges.length > 0) unit.tables[fn] = ranges;
      options.progress?.(`unit ${unitId} ${fn}: ${ranges === null ? 'not supported' : describe(ranges)}`);
    } catch (err) {
      unit.notes.push(`${fn}: scan stopped: ${(err as Error).message}`);
      options.progress?.(`unit ${unitId} ${fn}: scan stopped: ${(err as Error).message}`);
    }
  }
  return unit;
}

export function describe(ranges: Ranges): string {
  if (ranges.length === 0) return 'nothing readable';
  return ranges.map(([a, b]) => (b - a === 1 ? `${a}` : `${a}..${b - 1}`)).join(', ');
}
