/**
 * Answers one Modbus TCP request frame (MBAP header + PDU) from a device's memory, with the
 * limits of the Modbus Application Protocol spec v1.1b3 enforced exactly: a gateway that is only
 * ever tested against a lenient server never learns to split its reads.
 * Checks run in the spec's order: function (exception 1), quantity and framing (3), address (2).
 */
import type { RegisterFunction } from '../../../drivers/modbus/config.js';
import type { ModbusDevice } from './device.js';

export const MBAP_LENGTH = 7; // transaction id, protocol id, length, unit id

export const ILLEGAL_FUNCTION = 1;
export const ILLEGAL_DATA_ADDRESS = 2;
export const ILLEGAL_DATA_VALUE = 3;
export const GATEWAY_TARGET_FAILED = 0x0b;

const MAX_READ_BITS = 2000;
const MAX_READ_REGISTERS = 125;
const MAX_WRITE_BITS = 1968;
const MAX_WRITE_REGISTERS = 123;

/** A response frame with the request's transaction and unit id and a PDU of `pduLength` bytes. */
function frameFor(request: Buffer, pduLength: number): Buffer {
  const out = Buffer.allocUnsafe(MBAP_LENGTH + pduLength);
  out[0] = request[0]!;
  out[1] = request[1]!;
  out[2] = 0;
  out[3] = 0;
  out.writeUInt16BE(pduLength + 1, 4);
  out[6] = request[6]!;
  return out;
}

export function exceptionFrame(request: Buffer, code: number): Buffer {
  const out = frameFor(request, 2);
  out[7] = (request[7]! | 0x80) & 0xff;
  out[8] = code;
  return out;
}

/** A framed answer whose PDU contradicts the request (byte count vs. data), for fault injection. */
export function garbageFrame(request: Buffer, stream: boolean): Buffer {
  if (stream) return Buffer.from([request[0]!, request[1]!, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x42]);
  const out = frameFor(request, 4);
  out[7] = request[7]!;
  out[8] = 0xfa; // claims 250 data bytes; two follow
  out[9] = 0x55;
  out[10] = 0xaa;
  return out;
}

function exceeds(address: number, quantity: number): boolean {
  return address + quantity > 65536;
}

export function answerRequest(device: ModbusDevice, request: Buffer): Buffer {
  const fc = request[7]!;
  const pduLength = request.length - MBAP_LENGTH;
  switch (fc) {
    case 1:
      return readBits(device, request, pduLength, 'coil');
    case 2:
      return readBits(device, request, pduLength, 'discrete');
    case 3:
      return readRegisters(device, request, pduLength, 'holding');
    case 4:
      return readRegisters(device, request, pduLength, 'input');
    case 5:
      return writeSingleCoil(device, request, pduLength);
    case 6:
      return writeSingleRegister(device, request, pduLength);
    case 15:
      return writeMultipleCoils(device, request, pduLength);
    case 16:
      return writeMultipleRegisters(device, request, pduLength);
    default:
      return exceptionFrame(request, ILLEGAL_FUNCTION);
  }
}

/** Exception frame for range and injected faults, or null when the request may proceed. */
function rangeCheck(device: ModbusDevice, request: Buffer, fn: RegisterFunction, address: number, quantity: number): Buffer | null {
  if (exceeds(address, quantity) || device.outsideMap(fn, address, quantity)) return exceptionFrame(request, ILLEGAL_DATA_ADDRESS);
  const injected = device.injectedException(fn, address, quantity);
  return injected ? exceptionFrame(request, injected) : null;
}

function readBits(device: ModbusDevice, request: Buffer, pduLength: number, fn: 'coil' | 'discrete'): Buffer {
  if (pduLength !== 5) return exceptionFrame(request, ILLEGAL_DATA_VALUE);
  const address = request.readUInt16BE(8);
  const quantity = request.readUInt16BE(10);
  if (quantity < 1 || quantity > MAX_READ_BITS) return exceptionFrame(request, ILLEGAL_DATA_VALUE);
  const refused = rangeCheck(device, request, fn, address, quantity);
  if (refused) return refused;
  device.hooks.beforeRead?.(fn, address, quantity);
  const bytes = (quantity + 7) >>> 3;
  const out = frameFor(request, 2 + bytes);
  out[7] = request[7]!;
  out[8] = bytes;
  device.banks[fn].readInto(address, quantity, out, 9);
  return out;
}

function readRegisters(device: ModbusDevice, request: Buffer, pduLength: number, fn: 'holding' | 'input'): Buffer {
  if (pduLength !== 5) return exceptionFrame(request, ILLEGAL_DATA_VALUE);
  const address = request.readUInt16BE(8);
  const quantity = request.readUInt16BE(10);
  if (quantity < 1 || quantity > MAX_READ_REGISTERS) return exceptionFrame(request, ILLEGAL_DATA_VALUE);
  const refused = rangeCheck(device, request, fn, address, quantity);
  if (refused) return refused;
  device.hooks.beforeRead?.(fn, address, quantity);
  const out = frameFor(request, 2 + 2 * quantity);
  out[7] = request[7]!;
  out[8] = 2 * quantity;
  device.banks[fn].readInto(address, quantity, out, 9);
  return out;
}

/** FC5 and FC6 answer with an echo of the request. */
function echo(request: Buffer): Buffer {
  return Buffer.from(request);
}

function writeSingleCoil(device: ModbusDevice, request: Buffer, pduLength: number): Buffer {
  if (pduLength !== 5) return exceptionFrame(request, ILLEGAL_DATA_VALUE);
  const address = request.readUInt16BE(8);
  const value = request.readUInt16BE(10);
  if (value !== 0xff00 && value !== 0x0000) return exceptionFrame(request, ILLEGAL_DATA_VALUE);
  const refused = rangeCheck(device, request, 'coil', address, 1);
  if (refused) return refused;
  device.banks.coil.set(address, value === 0xff00);
  device.hooks.afterWrite?.('coil', address, 1);
  return echo(request);
}

function writeSingleRegister(device: ModbusDevice, request: Buffer, pduLength: number): Buffer {
  if (pduLength !== 5) return exceptionFrame(request, ILLEGAL_DATA_VALUE);
  const address = request.readUInt16BE(8);
  const refused = rangeCheck(device, request, 'holding', address, 1);
  if (refused) return refused;
  device.banks.holding.set(address, request.readUInt16BE(10));
  device.hooks.afterWrite?.('holding', address, 1);
  return echo(request);
}

/** FC15 and FC16 answer with function, address and quantity. */
function writeAck(request: Buffer): Buffer {
  const out = frameFor(request, 5);
  request.copy(out, 7, 7, 12);
  return out;
}

function writeMultipleCoils(device: ModbusDevice, request: Buffer, pduLength: number): Buffer {
  if (pduLength < 6) return exceptionFrame(request, ILLEGAL_DATA_VALUE);
  const address = request.readUInt16BE(8);
  const quantity = request.readUInt16BE(10);
  const byteCount = request[12]!;
  if (quantity < 1 || quantity > MAX_WRITE_BITS || byteCount !== (quantity + 7) >>> 3 || pduLength !== 6 + byteCount) {
    return exceptionFrame(request, ILLEGAL_DATA_VALUE);
  }
  const refused = rangeCheck(device, request, 'coil', address, quantity);
  if (refused) return refused;
  for (let i = 0; i < quantity; i++) {
    device.banks.coil.set(address + i, (request[13 + (i >>> 3)]! & (1 << (i & 7))) !== 0);
  }
  device.hooks.afterWrite?.('coil', address, quantity);
  return writeAck(request);
}

function writeMultipleRegisters(device: ModbusDevice, request: Buffer, pduLength: number): Buffer {
  if (pduLength < 6) return exceptionFrame(request, ILLEGAL_DATA_VALUE);
  const address = request.readUInt16BE(8);
  const quantity = request.readUInt16BE(10);
  const byteCount = request[12]!;
  if (quantity < 1 || quantity > MAX_WRITE_REGISTERS || byteCount !== 2 * quantity || pduLength !== 6 + byteCount) {
    return exceptionFrame(request, ILLEGAL_DATA_VALUE);
  }
  const refused = rangeCheck(device, request, 'holding', address, quantity);
  if (refused) return refused;
  for (let i = 0; i < quantity; i++) device.banks.holding.set(address + i, request.readUInt16BE(13 + 2 * i));
  device.hooks.afterWrite?.('holding', address, quantity);
  return writeAck(request);
}
