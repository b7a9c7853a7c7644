import type { ByteOrder } from './config.js';
import { swapsBytes, swapsWords, type DecodedValue } from './decode.js';
import type { RegisterSpec } from './register-type.js';

/*
 * The inverse of decode.ts, for the simulator and for tests: not on the hot path, so it allocates
 * freely and checks its input.
 */

const INTEGER_RANGES = {
  int16: [-(2 ** 15), 2 ** 15],
  uint16: [0, 2 ** 16],
  int32: [-(2 ** 31), 2 ** 31],
  uint32: [0, 2 ** 32],
  int64: [-(2 ** 63), 2 ** 63],
  uint64: [0, 2 ** 64],
} as const;

/**
 * The register words (as a simulator's register bank stores them) that a device using `order`
 * sends for `value`. Integer kinds round to the nearest integer (a simulator computes raw values
 * from engineering units) and throw a RangeError outside the type's range. A bool gives one word,
 * 1 or 0; for a coil or discrete input the caller stores the bit itself.
 */
export function encodeValue(spec: RegisterSpec, order: ByteOrder, value: DecodedValue): Uint16Array {
  if (spec.kind === 'string') return encodeString(spec, order, value);
  const words = new Uint16Array(spec.registers);
  if (spec.kind === 'bool') {
    if (typeof value === 'string') throw new TypeError(`bool needs a boolean or a number, got a string`);
    words[0] = value ? 1 : 0;
    return words;
  }
  if (typeof value !== 'number') throw new TypeError(`${spec.kind} needs a number, got a ${typeof value}`);

  const bytes = new Uint8Array(spec.registers * 2);
  const view = new DataView(bytes.buffer);
  switch (spec.kind) {
    case 'float32':
      view.setFloat32(0, value);
      break;
    case 'float64':
      view.setFloat64(0, value);
      break;
    case 'int16':
      view.setInt16(0, checkedInteger(spec.kind, value));
      break;
    case 'uint16':
      view.setUint16(0, checkedInteger(spec.kind, value));
      break;
    case 'int32':
      view.setInt32(0, checkedInteger(spec.kind, value));
      break;
    case 'uint32':
      view.setUint32(0, checkedInteger(spec.kind, value));
      break;
    case 'int64':
      view.setBigInt64(0, BigInt(checkedInteger(spec.kind, value)));
      break;
    case 'uint64':
      view.setBigUint64(0, BigInt(checkedInteger(spec.kind, value)));
      break;
  }
  // Undo decode's gather: big-endian word k goes to register k (or its mirror), bytes maybe swapped.
  const byteSwap = swapsBytes(order);
  const wordSwap = swapsWords(order);
  const n = spec.registers;
  for (let k = 0; k < n; k++) {
    const high = bytes[2 * k]!;
    const low = bytes[2 * k + 1]!;
    words[wordSwap ? n - 1 - k : k] = byteSwap ? (low << 8) | high : (high << 8) | low;
  }
  return words;
}

function checkedInteger(kind: keyof typeof INTEGER_RANGES, value: number): number {
  const rounded = Math.round(value);
  const [min, maxExclusive] = INTEGER_RANGES[kind];
  if (!(rounded >= min && rounded < maxExclusive)) {
    throw new RangeError(`${value} does not fit in ${kind} (${min} to ${maxExclusive} exclusive)`);
  }
  return rounded;
}

function encodeString(spec: RegisterSpec, order: ByteOrder, value: DecodedValue): Uint16Array {
  if (typeof value !== 'string') throw new TypeError(`string needs a string, got a ${typeof value}`);
  const length = spec.length ?? spec.registers * 2;
  if (value.length > length) {
    throw new RangeError(`"${value}" has ${value.length} characters, more than the ${length} of string(${length})`);
  }
  const bytes = new Uint8Array(spec.registers * 2); // NUL-padded
  const byteSwap = swapsBytes(order) ? 1 : 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 0 || code > 0xff) {
      throw new RangeError(`"${value}" has character code ${code} at ${i}: registers hold Latin-1 text without NUL`);
    }
    bytes[i ^ byteSwap] = code;
  }
  const words = new Uint16Array(spec.registers);
  for (let k = 0; k < spec.registers; k++) words[k] = (bytes[2 * k]! << 8) | bytes[2 * k + 1]!;
  return words;
}

/** Register words as wire bytes (big-endian within each register), the form decodeRegisters reads. */
export function encodeRegistersToBytes(words: ArrayLike<number>): Uint8Array {
  const bytes = new Uint8Array(words.length * 2);
  for (let k = 0; k < words.length; k++) {
    const word = words[k]!;
    bytes[2 * k] = (word >> 8) & 0xff;
    bytes[2 * k + 1] = word & 0xff;
  }
  return bytes;
}
