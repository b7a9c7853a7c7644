import { FUNCTIONS, type ModbusChannelConfig as ChannelConfig, type RegisterFunction } from './config.js';
import { MAX_BITS_PER_READ, MAX_REGISTERS_PER_READ, isBitFunction, parseRegisterType, type RegisterSpec } from './register-type.js';

/** The part of a channel the planner looks at; a ChannelConfig fits as is. */
export type PlanChannel = Pick<ChannelConfig, 'function' | 'address' | 'type'>;

export interface PlanOptions {
  /** Unused registers (or bits) one read may span to join two neighbours into one round trip. */
  maxGap: number;
  /** Device cap on registers per read; applies to holding and input registers, not to bits. */
  maxRegistersPerRead: number;
}

export interface PlannedItem {
  /** Index of the channel in the planner's input. */
  index: number;
  /** Registers (or bits) from the read's address to the channel's first one. */
  offset: number;
  spec: RegisterSpec;
}

export interface PlannedRead {
  fn: RegisterFunction;
  address: number;
  /** Registers (or bits) to request. */
  count: number;
  items: PlannedItem[];
}

const LAST_ADDRESS = 65535;
const FUNCTION_RANK: Readonly<Record<RegisterFunction, number>> = Object.fromEntries(FUNCTIONS.map((fn, rank) => [fn, rank])) as Record<
  RegisterFunction,
  number
>;

interface Entry {
  index: number;
  fn: RegisterFunction;
  address: number;
  spec: RegisterSpec;
}

/**
 * Groups channels into as few reads as the limits allow. Each read covers channels of one function
 * whose addresses lie at most `maxGap` unused registers (or bits) apart; a value is never split
 * across two reads. Output is sorted by function (coil, discrete, holding, input) then address.
 * Throws an Error naming `channels[i]` for a channel that cannot be read at all.
 */
export function planReads(channels: readonly PlanChannel[], options: PlanOptions): PlannedRead[] {
  const { maxGap, maxRegistersPerRead } = options;
  if (!Number.isInteger(maxGap) || maxGap < 0) {
    throw new Error(`maxGap ${maxGap} must be a whole number of registers, 0 or more`);
  }
  if (!Number.isInteger(maxRegistersPerRead) || maxRegistersPerRead < 1) {
    throw new Error(`maxRegistersPerRead ${maxRegistersPerRead} must be a whole number, 1 or more`);
  }
  const registerLimit = Math.min(maxRegistersPerRead, MAX_REGISTERS_PER_READ);

  const entries = channels.map((channel, index) => toEntry(channel, index, registerLimit));
  entries.sort((a, b) => FUNCTION_RANK[a.fn] - FUNCTION_RANK[b.fn] || a.address - b.address || a.index - b.index);

  const reads: PlannedRead[] = [];
  let current: PlannedRead | undefined;
  let end = 0; // one past the last register (or bit) the current read covers
  for (const entry of entries) {
    const entryEnd = entry.address + entry.spec.registers;
    const limit = isBitFunction(entry.fn) ? MAX_BITS_PER_READ : registerLimit;
    const joins = current !== undefined && current.fn === entry.fn && entry.address - end <= maxGap && Math.max(end, entryEnd) - current.address <= limit;
    if (current === undefined || !joins) {
      current = { fn: entry.fn, address: entry.address, count: 0, items: [] };
      reads.push(current);
      end = entryEnd;
    } else {
      end = Math.max(end, entryEnd);
    }
    current.count = end - current.address;
    current.items.push({ index: entry.index, offset: entry.address - current.address, spec: entry.spec });
  }
  return reads;
}

function toEntry(channel: PlanChannel, index: number, registerLimit: number): Entry {
  const where = `channels[${index}]`;
  let spec: RegisterSpec;
  try {
    spec = parseRegisterType(channel.type, channel.function);
  } catch (error) {
    throw new Error(`${where}: ${(error as Error).message}`, { cause: error });
  }
  const { address } = channel;
  if (!Number.isInteger(address) || address < 0 || address > LAST_ADDRESS) {
    throw new Error(`${where}: address ${address} is not a Modbus address (0 to ${LAST_ADDRESS})`);
  }
  const last = address + spec.registers - 1;
  if (last > LAST_ADDRESS) {
    throw new Error(`${where}: ${channel.type} at address ${address} needs registers up to ${last}, ` + `past the last address ${LAST_ADDRESS}`);
  }
  if (!isBitFunction(channel.function) && spec.registers > registerLimit) {
    throw new Error(
      `${where}: ${channel.type} needs ${spec.registers} registers, more than the ${registerLimit} ` + `this device allows per read (maxRegistersPerRead)`,
    );
  }
  return { index, fn: channel.function, address, spec };
}
