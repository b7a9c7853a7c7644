import { REGISTER_TYPES, STRING_TYPE, type RegisterFunction } from './config.js';

type FixedKind = (typeof REGISTER_TYPES)[number];
export type RegisterKind = FixedKind | 'string';

/** What a channel's `type` means on the wire, parsed once at start so the hot path never parses. */
export interface RegisterSpec {
  readonly kind: RegisterKind;
  /** Registers (16-bit words) the value occupies; for a bool on a coil or discrete input, 1 bit. */
  readonly registers: number;
  /** Characters of a `string(n)`. */
  readonly length?: number;
}

/** Protocol limits (Modbus application protocol v1.1b3, function codes 1 to 4). */
export const MAX_REGISTERS_PER_READ = 125;
export const MAX_BITS_PER_READ = 2000;

const WORDS: Readonly<Record<FixedKind, number>> = {
  bool: 1,
  int16: 1,
  uint16: 1,
  int32: 2,
  uint32: 2,
  float32: 2,
  int64: 4,
  uint64: 4,
  float64: 4,
};

const TABLE_NAMES: Readonly<Record<RegisterFunction, string>> = {
  coil: 'a coil',
  discrete: 'a discrete input',
  holding: 'a holding register',
  input: 'an input register',
};

/** Coils and discrete inputs are read as bits (function codes 1 and 2), the others as words. */
export function isBitFunction(fn: RegisterFunction): boolean {
  return fn === 'coil' || fn === 'discrete';
}

function isFixedKind(type: string): type is FixedKind {
  return (REGISTER_TYPES as readonly string[]).includes(type);
}

/**
 * Turns a channel's `type` into a spec, or throws an Error whose message a user can act on (the
 * config validator prefixes it with the config path).
 */
export function parseRegisterType(type: string, fn: RegisterFunction): RegisterSpec {
  if (isFixedKind(type)) {
    if (isBitFunction(fn) && type !== 'bool') throw notOnBits(type, fn);
    return { kind: type, registers: WORDS[type] };
  }
  const stringMatch = STRING_TYPE.exec(type);
  if (!stringMatch) {
    throw new Error(`unknown type "${type}": expected one of ${REGISTER_TYPES.join(', ')} or string(n)`);
  }
  if (isBitFunction(fn)) throw notOnBits(type, fn);
  const length = Number(stringMatch[1]);
  const registers = Math.ceil(length / 2);
  if (length < 1) throw new Error(`type ${type} holds no characters: string(n) needs n of at least 1`);
  if (registers > MAX_REGISTERS_PER_READ) {
    throw new Error(
      `type ${type} needs ${registers} registers, more than the ${MAX_REGISTERS_PER_READ} one Modbus read ` +
        `returns: string(n) allows n up to ${MAX_REGISTERS_PER_READ * 2}`,
    );
  }
  return { kind: 'string', registers, length };
}

function notOnBits(type: string, fn: RegisterFunction): Error {
  return new Error(`type ${type} is not allowed on ${TABLE_NAMES[fn]}: coils and discrete inputs hold bool`);
}
