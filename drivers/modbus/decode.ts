import type { ByteOrder } from './config.js';
import type { RegisterSpec } from './register-type.js';

export type DecodedValue = number | boolean | string;

/*
 * The hot path (tens of thousands of calls a second): no allocation per call. Multi-word values
 * are gathered into this scratch buffer in big-endian order and read through one DataView.
 */
const scratch = new Uint8Array(8);
const view = new DataView(scratch.buffer);
const TWO_POW_32 = 2 ** 32;

/** BADC and DCBA swap the two bytes inside each register. */
export function swapsBytes(order: ByteOrder): boolean {
  return order === 'BADC' || order === 'DCBA';
}

/** CDAB and DCBA put the least significant register first. */
export function swapsWords(order: ByteOrder): boolean {
  return order === 'CDAB' || order === 'DCBA';
}

function gather(bytes: Uint8Array, start: number, words: number, order: ByteOrder): void {
  const byteSwap = swapsBytes(order) ? 1 : 0;
  const wordSwap = swapsWords(order);
  for (let k = 0; k < words; k++) {
    const source = start + 2 * (wordSwap ? words - 1 - k : k);
    scratch[2 * k] = bytes[source + byteSwap]!;
    scratch[2 * k + 1] = bytes[source + 1 - byteSwap]!;
  }
}

/**
 * Decodes the value at `registerOffset` registers into `bytes`, the registers exactly as they came
 * off the wire (big-endian within each register: modbus-serial's response `.buffer`).
 *
 * int64 and uint64 come back as a number, not a bigint: the value ends up in JSON and in InfluxDB
 * float fields, neither of which carries a bigint, and a metrology counter or totaliser stays far
 * below 2^53 where a double is exact. Beyond 2^53 the result is the nearest double.
 *
 * Strings are read as Latin-1 (one char per byte) up to the first NUL; trailing spaces are kept,
 * since they are what the device says.
 *
 * Coils and discrete inputs arrive as bits: use decodeBit for them, not this.
 */
export function decodeRegisters(spec: RegisterSpec, order: ByteOrder, bytes: Uint8Array, registerOffset: number): DecodedValue {
  const start = registerOffset * 2;
  if (registerOffset < 0 || start + spec.registers * 2 > bytes.length) {
    throw new RangeError(
      `${spec.kind} at register offset ${registerOffset} needs ${spec.registers} register(s), ` + `but the response holds ${bytes.length / 2}`,
    );
  }
  switch (spec.kind) {
    case 'bool':
      return (bytes[start]! | bytes[start + 1]!) !== 0;
    case 'int16':
    case 'uint16': {
      const swap = swapsBytes(order) ? 1 : 0;
      const word = (bytes[start + swap]! << 8) | bytes[start + 1 - swap]!;
      return spec.kind === 'int16' ? (word << 16) >> 16 : word;
    }
    case 'int32':
      gather(bytes, start, 2, order);
      return view.getInt32(0);
    case 'uint32':
      gather(bytes, start, 2, order);
      return view.getUint32(0);
    case 'float32':
      gather(bytes, start, 2, order);
      return view.getFloat32(0);
    case 'int64':
      gather(bytes, start, 4, order);
      // Both halves are exact doubles, so the sum is rounded once, like Number(bigint); no bigint allocated.
      return view.getInt32(0) * TWO_POW_32 + view.getUint32(4);
    case 'uint64':
      gather(bytes, start, 4, order);
      return view.getUint32(0) * TWO_POW_32 + view.getUint32(4);
    case 'float64':
      gather(bytes, start, 4, order);
      return view.getFloat64(0);
    case 'string':
      return decodeString(bytes, start, spec.length ?? spec.registers * 2, swapsBytes(order) ? 1 : 0);
  }
}

function decodeString(bytes: Uint8Array, start: number, length: number, byteSwap: number): string {
  let text = '';
  for (let i = 0; i < length; i++) {
    // i ^ 1 picks the other byte of the same register: the low byte first under BADC and DCBA.
    const code = bytes[start + (i ^ byteSwap)]!;
    if (code === 0) break;
    text += String.fromCharCode(code);
  }
  return text;
}

/** A coil or discrete input from a bit read (modbus-serial's response `.data`). */
export function decodeBit(bits: ArrayLike<boolean>, offset: number): boolean {
  if (offset < 0 || offset >= bits.length) {
    throw new RangeError(`bit offset ${offset} is outside the ${bits.length} bits read`);
  }
  return bits[offset] === true;
}

/** Register scaling (`value * scale + offset`) for numbers; bools and strings pass unchanged. */
export function applyScale(value: number, scale: number, offset: number): number;
export function applyScale(value: DecodedValue, scale: number, offset: number): DecodedValue;
export function applyScale(value: DecodedValue, scale: number, offset: number): DecodedValue {
  if (typeof value !== 'number' || (scale === 1 && offset === 0)) return value;
  return value * scale + offset;
}
