/**
 * Clients of the Modbus TCP simulator tests: a real one (modbus-serial) and a raw MBAP one for the
 * cases that client cannot express (illegal quantities, pipelining, split chunks, garbage).
 */
import net from 'node:net';
import M from 'modbus-serial';
import { ModbusTcpServer, type ModbusDevice } from '../../tools/simulators/modbus/index.js';
import { waitFor } from './until.js';

// modbus-serial is CommonJS; under NodeNext its class sits on `.default` (the package sets it).
const ModbusRTU = M.default;
export type ModbusClient = InstanceType<typeof ModbusRTU>;

export async function connect(port: number, unitId = 1, timeoutMs = 1000): Promise<ModbusClient> {
  const client = new ModbusRTU();
  await client.connectTCP('127.0.0.1', { port });
  client.setID(unitId);
  client.setTimeout(timeoutMs);
  return client;
}

export function close(client: ModbusClient): Promise<void> {
  return new Promise((resolve) => client.close(() => resolve()));
}

/** The modbus exception code of a rejected request, or the error message. */
export async function failure(request: Promise<unknown>): Promise<number | string> {
  try {
    await request;
  } catch (err) {
    const e = err as Error & { modbusCode?: number };
    return e.modbusCode ?? e.message;
  }
  throw new Error('the request succeeded');
}

/** One MBAP frame: transaction id, unit id and the PDU bytes. */
export function mbap(tid: number, unit: number, pdu: number[]): Buffer {
  const out = Buffer.alloc(7 + pdu.length);
  out.writeUInt16BE(tid, 0);
  out.writeUInt16BE(pdu.length + 1, 4);
  out[6] = unit;
  Buffer.from(pdu).copy(out, 7);
  return out;
}

export const u16 = (n: number): number[] => [n >> 8, n & 0xff];

export interface RawClient {
  socket: net.Socket;
  /** Waits for at least `count` frames (failing loudly at the deadline) and takes every frame received. */
  frames(count: number, timeoutMs?: number): Promise<Buffer[]>;
  /** Every frame that arrives within `ms`: for an answer that must NOT come, which no event announces. */
  framesWithin(ms: number): Promise<Buffer[]>;
  /** Every byte received so far, framed or not. */
  raw(): Buffer;
  closed: Promise<void>;
}

/** A raw TCP client that splits the byte stream back into MBAP frames. */
export async function rawClient(port: number): Promise<RawClient> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let pending = Buffer.alloc(0);
  const got: Buffer[] = [];
  const all: Buffer[] = [];
  socket.on('data', (chunk) => {
    all.push(chunk);
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 6 && pending.length >= 6 + pending.readUInt16BE(4)) {
      const end = 6 + pending.readUInt16BE(4);
      got.push(pending.subarray(0, end));
      pending = pending.subarray(end);
    }
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  return {
    socket,
    closed,
    raw: () => Buffer.concat(all),
    async frames(count, timeoutMs = 1000) {
      await waitFor(
        `${count} MBAP frame(s)`,
        () => got.length,
        (n) => n >= count,
        { timeoutMs, intervalMs: 5 },
      );
      return got.splice(0, got.length);
    },
    async framesWithin(ms) {
      await new Promise((r) => setTimeout(r, ms));
      return got.splice(0, got.length);
    },
  };
}

/** A simulator with unit 1 on an ephemeral port, its tables holding known values at their edges. */
export async function knownServer(): Promise<{ server: ModbusTcpServer; device: ModbusDevice; port: number }> {
  const server = new ModbusTcpServer();
  const device = server.addUnit(1);
  const port = await server.listen();
  device.banks.write('coil', 10, [1, 0, 1]);
  device.banks.write('discrete', 5, [0, 1, 1, 0, 1, 0, 0, 0, 1]);
  device.banks.write('holding', 100, [1, 2, 0xffff]);
  device.banks.write('input', 65533, [7, 8, 9]);
  return { server, device, port };
}
