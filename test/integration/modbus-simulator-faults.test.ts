/**
 * The Modbus TCP simulator's injected faults, each seen by a real client (modbus-serial) the way a
 * gateway would meet it on a bad device: silence, a slow answer, an exception on some registers,
 * garbage in place of an answer, and a dropped connection.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ModbusDevice, ModbusTcpServer } from '../../tools/simulators/modbus/index.js';
import { close, connect, failure, knownServer, mbap, rawClient, type ModbusClient } from '../support/modbus-tcp-client.js';
import { until } from '../support/until.js';

describe('Modbus TCP server: injected faults', () => {
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

  it('injects faults: mute, delay, exception, dropped connection, garbage', async () => {
    const before = device.served;
    device.faults.mute = true;
    client.setTimeout(200);
    expect(await failure(client.readHoldingRegisters(100, 1))).toMatch(/timed out/i);
    expect(device.served).toBe(before);
    device.clearFaults();
    await new Promise((r) => setTimeout(r, 50)); // let a late answer (there must be none) pass

    client.setTimeout(1000);
    device.setFaults({ delayMs: 150 });
    const start = Date.now();
    expect((await client.readHoldingRegisters(100, 2)).data).toEqual([1, 2]);
    expect(Date.now() - start).toBeGreaterThanOrEqual(140);
    device.clearFaults();

    device.setFaults({ exception: { code: 4, address: 101, quantity: 2, function: 'holding' } });
    expect(await failure(client.readHoldingRegisters(95, 7))).toBe(4);
    expect((await client.readHoldingRegisters(95, 6)).data).toHaveLength(6);
    expect((await client.readInputRegisters(101, 1)).data).toEqual([0]);
    device.clearFaults();

    device.setFaults({ garbage: true });
    expect(await failure(client.readHoldingRegisters(100, 2))).toMatch(/length/i);
    device.clearFaults();
    expect((await client.readHoldingRegisters(100, 2)).data).toEqual([1, 2]); // stream still in sync

    device.setFaults({ garbage: 'stream' });
    const raw = await rawClient(port);
    raw.socket.write(mbap(77, 1, [3, 0, 100, 0, 1]));
    await until(() => raw.raw().length >= 4, 'the first 4 bytes of the garbage answer', { observe: () => raw.raw() });
    expect(raw.raw().readUInt16BE(2)).not.toBe(0); // protocol id: not MBAP at all
    raw.socket.destroy();
    device.clearFaults();

    device.setFaults({ dropConnection: 'once' });
    client.setTimeout(300);
    // modbus-serial does not fail the request in flight when the socket closes: it times out.
    expect(await failure(client.readHoldingRegisters(100, 1))).toMatch(/closed|not open|timed out/i);
    expect(client.isOpen).toBe(false);
    expect(device.faults.dropConnection).toBe(false);
    client = await connect(port);
    expect((await client.readHoldingRegisters(100, 1)).data).toEqual([1]);

    device.setFaults({ dropConnection: true });
    for (let i = 0; i < 2; i++) {
      const dropped = await rawClient(port);
      dropped.socket.write(mbap(1, 1, [3, 0, 0, 0, 1]));
      await dropped.closed;
    }
  });
});
