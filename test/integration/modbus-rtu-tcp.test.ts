/**
 * Modbus RTU over TCP: raw RTU frames (with CRC, no MBAP header) on a socket, as a
 * serial-to-Ethernet converter in transparent mode passes them; the simulator plays the
 * converter and the slaves behind it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startRtuSimulator } from '../../tools/simulators/modbus/rtu-simulator.js';
import { cleanUp, cleanups, rtuTcpInstrument, runRtu } from '../support/modbus-rtu-rig.js';

afterEach(cleanUp);

async function converter(devices: { profile: string; id: string; unitId: number }[], port = 0, baudRate?: number) {
  const sim = await startRtuSimulator({
    line: { tcp: { port, ...(baudRate ? { baudRate } : {}) } },
    devices: devices.map((d) => ({ ...d, static: true })),
  });
  cleanups.push(() => sim.stop());
  return sim;
}

describe('Modbus RTU over TCP against the simulator in RTU-over-TCP mode', () => {
  it('reads several slaves behind one converter over one connection, with the values they serve', async () => {
    const sim = await converter([
      { profile: 'temperature-bath', id: 'bath', unitId: 4 },
      { profile: 'dmm', id: 'dmm', unitId: 9 },
      { profile: 'balance', id: 'balance', unitId: 11 },
    ]);
    sim.device('bath').set('temperature', 19.875);
    sim.device('dmm').set('serial', 'DMM-0815');
    const ids = ['bath', 'dmm', 'balance'];
    const { out, driver } = runRtu(
      'modbus-rtu-tcp',
      ids.map((id) => rtuTcpInstrument(id, sim.device(id).profile.name, sim.device(id).unitId, sim.port)),
    );
    await out.until(() => ids.every((id) => out.of(id).length >= 3), 'three cycles of every slave');
    for (const id of ids) {
      for (const r of out.of(id)[2]!.readings) {
        expect(r.quality, `${id}.${r.channel}: ${r.reason}`).toBe('good');
        const served = sim.device(id).value(r.channel);
        if (typeof served === 'number') expect(r.raw).toBeCloseTo(served, 6);
        else expect(r.raw).toBe(served);
      }
    }
    expect(out.of('bath')[2]!.readings[0]!.raw).toBeCloseTo(19.875, 5);
    expect(out.of('dmm')[2]!.readings.find((r) => r.channel === 'serial')!.raw).toBe('DMM-0815');
    // One line, one connection, one transaction at a time.
    expect(driver.lineStats()).toHaveLength(1);
    expect(sim.counters.collisions).toBe(0);
  });

  it('keeps the other slaves good while one answers CRC errors and garbage', async () => {
    const sim = await converter([
      { profile: 'balance', id: 'good', unitId: 1 },
      { profile: 'pressure-controller', id: 'bad', unitId: 2 },
    ]);
    const { out, driver } = runRtu('modbus-rtu-tcp', [
      rtuTcpInstrument('good', 'balance', 1, sim.port),
      rtuTcpInstrument('bad', 'pressure-controller', 2, sim.port),
    ]);
    await out.until(() => out.of('bad').length >= 1, 'first cycle');
    sim.device('bad').setFaults({ crcError: true });
    await out.until(() => driver.lineStats()[0]!.counters.crc >= 3, 'CRC errors counted');
    sim.device('bad').setFaults({ crcError: false, garbage: true });
    await out.until(() => driver.lineStats()[0]!.counters.malformed >= 3, 'garbage counted');
    sim.device('bad').clearFaults();
    const n = out.of('bad').length;
    await out.until(
      () =>
        out.of('bad').length > n + 1 &&
        out
          .of('bad')
          .at(-1)!
          .readings.every((r) => r.quality === 'good'),
      'recovery',
    );
    expect(
      out
        .of('bad')
        .flatMap((b) => b.readings)
        .some((r) => r.reason === 'invalid response: CRC error'),
    ).toBe(true);
    expect(
      out
        .of('good')
        .flatMap((b) => b.readings)
        .every((r) => r.quality === 'good'),
    ).toBe(true);
  });

  it('reconnects after the converter drops the connection, and marks the lost cycle bad', async () => {
    const sim = await converter([{ profile: 'balance', id: 'b', unitId: 3 }]);
    const { out } = runRtu('modbus-rtu-tcp', [rtuTcpInstrument('b', 'balance', 3, sim.port)]);
    await out.until(() => out.of('b').length >= 2, 'first cycles');
    sim.device('b').setFaults({ dropConnection: 'once' });
    await out.until(() => out.of('b').some((b) => b.readings.some((r) => r.reason?.startsWith('disconnected'))), 'a disconnected cycle');
    const lost = out.of('b').length;
    await out.until(
      () =>
        out.of('b').length > lost + 1 &&
        out
          .of('b')
          .at(-1)!
          .readings.every((r) => r.quality === 'good'),
      'good readings again',
      5000,
    );
    expect(out.statuses.map((s) => s.online)).toEqual([true, false, true]);
    const seqs = out.of('b').flatMap((b) => b.readings.map((r) => r.seq));
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  });

  it('gives bad "disconnected" readings while the converter is unreachable and connects once it is there', async () => {
    const first = await converter([{ profile: 'balance', id: 'b', unitId: 1 }]);
    const port = first.port;
    await first.stop();
    const { out } = runRtu('modbus-rtu-tcp', [rtuTcpInstrument('b', 'balance', 1, port)]);
    await out.until(() => out.of('b').length >= 3, 'three cycles without a converter');
    expect(
      out
        .of('b')
        .flatMap((b) => b.readings)
        .every((r) => r.quality === 'bad' && r.reason!.startsWith('disconnected')),
    ).toBe(true);
    await converter([{ profile: 'balance', id: 'b', unitId: 1 }], port);
    await out.until(
      () =>
        out
          .of('b')
          .at(-1)!
          .readings.every((r) => r.quality === 'good'),
      'good readings from the converter',
      8000,
    );
  });

  it('keeps the serial gap behind the converter when the line speed is given', async () => {
    const sim = await converter(
      [
        { profile: 'balance', id: 'a', unitId: 1 },
        { profile: 'balance', id: 'b', unitId: 2 },
      ],
      0,
      9600,
    );
    const line = { host: '127.0.0.1', port: sim.port, baudRate: 9600 };
    const { out, driver } = runRtu('modbus-rtu-tcp', [
      rtuTcpInstrument('a', 'balance', 1, sim.port, { line, pollIntervalMs: 200 }),
      rtuTcpInstrument('b', 'balance', 2, sim.port, { line: { host: '127.0.0.1', port: sim.port }, pollIntervalMs: 200 }),
    ]);
    await out.until(() => out.of('a').length >= 5 && out.of('b').length >= 5, 'five cycles each');
    await driver.stop();
    expect(sim.counters).toMatchObject({ gapViolations: 0, collisions: 0, badFrames: 0 });
    expect([...out.of('a'), ...out.of('b')].every((b) => b.readings.every((r) => r.quality === 'good'))).toBe(true);
  });
});
