/**
 * Modbus RTU framing, pure: CRC-16, read requests, and finding answer frames in the bytes that
 * came back. Shared by the master (drivers/modbus/rtu-master.ts) and the simulated slaves.
 *
 * An RTU frame is [unit id][function][data…][CRC lo][CRC hi]; it carries no length and no
 * transaction id, so the reader infers a frame's length from its function code (and byte count)
 * and trusts a frame only when its CRC holds.
 */
import type { RegisterFunction } from './config.js';

const CRC_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** CRC-16/MODBUS of bytes [start, end). On the wire it follows the frame low byte first. */
export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ CRC_TABLE[(crc ^ bytes[i]!) & 0xff]!;
  return crc;
}

/** True when the last two bytes of [start, end) are the CRC of the bytes before them. */
export function crcHolds(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start < 4) return false;
  const crc = crc16(bytes, start, end - 2);
  return bytes[end - 2] === (crc & 0xff) && bytes[end - 1] === crc >>> 8;
}

/** Appends the CRC to a frame body. */
export function withCrc(body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(body.length + 2);
  out.set(body, 0);
  const crc = crc16(body);
  out[body.length] = crc & 0xff;
  out[body.length + 1] = crc >>> 8;
  return out;
}

export const READ_FUNCTION_CODE: Readonly<Record<RegisterFunction, number>> = { coil: 1, discrete: 2, holding: 3, input: 4 };

/** Function 1 to 4: read `count` coils, discrete inputs, holding or input registers from `address`. */
export function readRequest(unitId: number, fn: RegisterFunction, address: number, count: number): Buffer {
  const body = Buffer.allocUnsafe(6);
  body[0] = unitId;
  body[1] = READ_FUNCTION_CODE[fn];
  body.writeUInt16BE(address, 2);
  body.writeUInt16BE(count, 4);
  return withCrc(body);
}

/** What the answer to a request must look like. */
export interface Expectation {
  unitId: number;
  functionCode: number;
  /** Data bytes of a normal answer: 2 per register, or one per 8 bits. */
  byteCount: number;
}

export function expectationFor(unitId: number, fn: RegisterFunction, count: number): Expectation {
  const functionCode = READ_FUNCTION_CODE[fn];
  return { unitId, functionCode, byteCount: functionCode <= 2 ? Math.ceil(count / 8) : 2 * count };
}

/** Bytes of a normal answer to the expectation: unit, function, byte count, data, CRC. */
export function answerLength(expect: Expectation): number {
  return 5 + expect.byteCount;
}

export const EXCEPTION_FRAME_LENGTH = 5;

/**
 * Length of the frame that would start at `i`, judged by its function code; `undefined` when no
 * answer to a read starts there, `0` when the byte count that decides it has not arrived yet.
 */
function candidateLength(buf: Uint8Array, i: number): number | undefined {
  const unit = buf[i]!;
  const fc = buf[i + 1]!;
  if (unit === 0 || unit > 247) return undefined;
  if (fc >= 0x81 && fc <= 0x84) return EXCEPTION_FRAME_LENGTH;
  if (fc < 1 || fc > 4) return undefined;
  if (i + 2 >= buf.length) return 0;
  const byteCount = buf[i + 2]!;
  if (byteCount === 0 || (fc >= 3 && byteCount % 2 === 1)) return undefined;
  return 5 + byteCount;
}

export type Scan =
  /** No frame yet: wait for more bytes (or the timeout). */
  | { kind: 'incomplete' }
  /** A frame whose CRC holds, at [start, end); bytes before `start` are noise. */
  | { kind: 'frame'; start: number; end: number }
  /** The answer began at the first byte in the expected shape, complete, but its CRC fails. */
  | { kind: 'crc'; end: number };

/**
 * Looks for an answer frame in the bytes received since the request. Any frame whose CRC holds
 * is returned, wherever it starts (noise before it is skipped); the caller decides whether it
 * answers this request (unit id, function, byte count). A complete frame of the expected shape
 * at the very first byte whose CRC fails is a CRC error at once, without waiting for a timeout.
 */
export function scanFrame(buf: Uint8Array, expect: Expectation): Scan {
  for (let i = 0; i + 1 < buf.length; i++) {
    const length = candidateLength(buf, i);
    const expected = i === 0 && buf[0] === expect.unitId && (buf[1] === expect.functionCode || buf[1] === (expect.functionCode | 0x80));
    if (length === undefined) continue;
    // The answer we expect is arriving: do not hunt for frames inside its data.
    if (length === 0 || i + length > buf.length) {
      if (expected) return { kind: 'incomplete' };
      continue;
    }
    if (crcHolds(buf, i, i + length)) return { kind: 'frame', start: i, end: i + length };
    if (expected) return { kind: 'crc', end: length };
  }
  return { kind: 'incomplete' };
}

/** True when the bytes start like the expected answer but stop short of its length. */
export function looksTruncated(buf: Uint8Array, expect: Expectation): boolean {
  if (buf.length < 2 || buf[0] !== expect.unitId) return false;
  const fc = buf[1];
  if (fc === (expect.functionCode | 0x80)) return buf.length < EXCEPTION_FRAME_LENGTH;
  return fc === expect.functionCode && buf.length < answerLength(expect);
}
