/**
 * The Modbus TCP simulator speaks the protocol as a real device does: every function code against a
 * real client (modbus-serial), and through raw MBAP frames the cases that client cannot express
 * (illegal quantities, unknown functions and unit ids, pipelining, a request split over chunks).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ModbusTcpServer, type ModbusDevice } from '../../tools/simulators/modbus/index.js';
import { close, connect, failure, knownServer, mbap, rawClient, u16, type ModbusClient } from '../support/modbus-tcp-client.js';

describe('Modbus TCP server: the protocol', () => {
  let server: ModbusTcpServer;
  let device: ModbusDevice;
  let port: number;
  let client: ModbusClient;

  beforeAll(async () => {
    ({ server, device, port } = await knownServer());
    client = await connect(port);
  });
  afterAll(async () => {
    await close(client);
    await server.close();
  });
  afterEach(() => device.clearFaults());

  it('binds an ephemeral port on 127.0.0.1', () => {
    expect(port).toBeGreaterThan(0);
    expect(server.port).toBe(port);
  });

  it('reads every table with function codes 1 to 4', async () => {
    expect((await client.readCoils(10, 3)).data.slice(0, 3)).toEqual([true, false, true]);
    expect((await client.readDiscreteInputs(5, 9)).data.slice(0, 9)).toEqual([false, true, true, false, true, false, false, false, true]);
    expect((await client.readHoldingRegisters(100, 4)).data).toEqual([1, 2, 0xffff, 0]);
    expect((await client.readInputRegisters(65533, 3)).data).toEqual([7, 8, 9]);
    expect((await client.readHoldingRegisters(0, 125)).data).toHaveLength(125);
  });

  it('writes with function codes 5, 6, 15 and 16 and reads them back', async () => {
    await client.writeCoil(20, true);
    await client.writeRegister(30, 1234);
    await client.writeCoils(40, [true, false, true, true, false, false, false, false, true]);
    await client.writeRegisters(50, [1, 2, 3, 0xfffe]);
    expect((await client.readCoils(20, 1)).data[0]).toBe(true);
    expect((await client.readHoldingRegisters(30, 1)).data).toEqual([1234]);
    expect((await client.readCoils(40, 9)).data.slice(0, 9)).toEqual([true, false, true, true, false, false, false, false, true]);
    expect((await client.readHoldingRegisters(50, 4)).data).toEqual([1, 2, 3, 0xfffe]);
    await client.writeCoil(20, false);
    expect(device.banks.coil.get(20)).toBe(false);
  });

  it('answers exception 2 past the end of a table', async () => {
    expect(await failure(client.readHoldingRegisters(65530, 10))).toBe(2);
    expect(await failure(client.readCoils(65535, 2))).toBe(2);
    expect(await failure(client.writeRegisters(65535, [1, 2]))).toBe(2);
  });

  it('answers exception 3 beyond the spec limits and exception 1 for unknown functions', async () => {
    const raw = await rawClient(port);
    raw.socket.write(
      Buffer.concat([
        mbap(1, 1, [3, ...u16(0), ...u16(126)]),
        mbap(2, 1, [4, ...u16(0), ...u16(0)]),
        mbap(3, 1, [1, ...u16(0), ...u16(2001)]),
        mbap(4, 1, [16, ...u16(0), ...u16(124), 248, ...new Array<number>(248).fill(0)]),
        mbap(5, 1, [15, ...u16(0), ...u16(1969), 247, ...new Array<number>(247).fill(0)]),
        mbap(6, 1, [5, ...u16(0), 0x12, 0x34]),
        mbap(7, 1, [16, ...u16(0), ...u16(2), 3, 0, 1, 0]),
        mbap(8, 1, [0x2b, 0x0e, 1, 0]),
        mbap(9, 1, [3, ...u16(0), ...u16(125)]),
      ]),
    );
    const frames = await raw.frames(9);
    expect(frames.map((f) => [f.readUInt16BE(0), f[7], f[8]])).toEqual([
      [1, 0x83, 3],
      [2, 0x84, 3],
      [3, 0x81, 3],
      [4, 0x90, 3],
      [5, 0x8f, 3],
      [6, 0x85, 3],
      [7, 0x90, 3],
      [8, 0xab, 1],
      [9, 3, 250],
    ]);
    raw.socket.destroy();
  });

  it('answers pipelined requests in order and reassembles a request split over chunks', async () => {
    const raw = await rawClient(port);
    raw.socket.write(
      Buffer.concat([mbap(700, 1, [3, ...u16(100), ...u16(2)]), mbap(701, 1, [1, ...u16(10), ...u16(3)]), mbap(702, 1, [4, ...u16(65533), ...u16(1)])]),
    );
    const frames = await raw.frames(3);
    expect(frames.map((f) => f.readUInt16BE(0))).toEqual([700, 701, 702]);
    expect([...frames[0]!.subarray(7)]).toEqual([3, 4, 0, 1, 0, 2]);
    expect([...frames[1]!.subarray(7)]).toEqual([1, 1, 0b101]);
    expect([...frames[2]!.subarray(7)]).toEqual([4, 2, 0, 7]);

    // Paced so that the server receives the request as three separate chunks.
    const request = mbap(4242, 1, [3, ...u16(100), ...u16(3)]);
    raw.socket.write(request.subarray(0, 4));
    await new Promise((r) => setTimeout(r, 30));
    raw.socket.write(request.subarray(4, 9));
    await new Promise((r) => setTimeout(r, 30));
    raw.socket.write(request.subarray(9));
    const [split] = await raw.frames(1);
    expect(split!.readUInt16BE(0)).toBe(4242);
    expect([...split!.subarray(9)]).toEqual([0, 1, 0, 2, 0xff, 0xff]);
    raw.socket.destroy();
  });

  it('ignores unknown unit ids by default, or answers exception 0x0B', async () => {
    const raw = await rawClient(port);
    raw.socket.write(Buffer.concat([mbap(1, 9, [3, 0, 0, 0, 1]), mbap(2, 1, [3, 0, 0, 0, 1])]));
    expect((await raw.framesWithin(300)).map((f) => f.readUInt16BE(0))).toEqual([2]);
    server.unknownUnit = 'exception';
    raw.socket.write(mbap(3, 9, [3, 0, 0, 0, 1]));
    expect([...(await raw.frames(1))[0]!.subarray(6)]).toEqual([9, 0x83, 0x0b]);
    server.unknownUnit = 'ignore';
    raw.socket.destroy();
  });

  it('closes open client sockets on close()', async () => {
    const extra = new ModbusTcpServer();
    extra.addUnit(1);
    const raw = await rawClient(await extra.listen());
    await extra.close();
    await raw.closed;
    expect(extra.openConnections).toBe(0);
  });
});
