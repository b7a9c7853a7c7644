/**
 * A device (or converter) that hangs up while a request waits for its answer: the request fails
 * at once as disconnected, not after its timeout, and stop() is not held up by it. The timeout is
 * 5 s so that "at once" (well under 1 s after the close) cannot be confused with it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ModbusTcpInstrumentConfig as InstrumentConfig } from '../../config/schema.js';
import { ModbusTcpDriver } from '../../drivers/modbus/modbus-tcp-driver.js';
import { channelsFor, profileByName, startSimulator } from '../../tools/simulators/modbus/index.js';
import { startRtuSimulator } from '../../tools/simulators/modbus/rtu-simulator.js';
import { silentLogger } from '../../gateway/log.js';
import { CollectOutput } from '../support/collect-output.js';
import { cleanUp, cleanups, rtuTcpInstrument, runRtu } from '../support/modbus-rtu-rig.js';

afterEach(cleanUp);

const TIMEOUT_MS = 5000;
/** Far below TIMEOUT_MS, far above what a loopback close and one cycle take. */
const AT_ONCE_MS = 1000;

function instrument(id: string, port: number): InstrumentConfig {
  return {
    id,
    protocol: 'modbus-tcp',
    connection: { host: '127.0.0.1', port, unitId: 1, timeoutMs: TIMEOUT_MS },
    pollIntervalMs: 100,
    maxGap: 8,
    maxRegistersPerRead: 125,
    channels: channelsFor(profileByName('pressure-controller')),
  };
}

async function tcpDevices(ids: string[]) {
  const sim = await startSimulator({ devices: ids.map((id) => ({ id, profile: 'pressure-controller', static: true })) });
  cleanups.push(() => sim.stop());
  const out = new CollectOutput();
  const driver = new ModbusTcpDriver(
    'lab',
    ids.map((id) => instrument(id, sim.device(id).port)),
    silentLogger(),
  );
  driver.start(out);
  cleanups.push(() => driver.stop());
  await out.until(() => ids.every((id) => out.of(id).length >= 2), 'first cycles');
  return { sim, out, driver };
}

/** When the gateway saw `id`'s connection close: its offline status is raised by the close itself. */
async function closedAt(out: CollectOutput, id: string): Promise<number> {
  await out.until(() => out.statuses.some((s) => s.instrument === id && !s.online), `${id} offline`);
  const status = out.statuses.find((s) => s.instrument === id && !s.online)!;
  expect(status.error).toBe('connection closed by peer');
  return status.since;
}

const isLost = (b: CollectOutput['batches'][number]): boolean => b.readings.some((r) => r.quality === 'bad');

describe('a connection closed while a request waits for its answer', () => {
  it('Modbus TCP: fails that read at once as disconnected, reconnects, and leaves the neighbour alone', async () => {
    const { sim, out } = await tcpDevices(['p', 'n']);
    sim.device('p').setFaults({ dropConnection: 'once' });
    const closed = await closedAt(out, 'p');
    await out.until(() => out.of('p').some(isLost), 'the cycle the close cut short', 2 * TIMEOUT_MS);
    const lost = out.of('p').find(isLost)!;
    expect(lost.at - closed, 'ms from the close to the failed reading').toBeLessThan(AT_ONCE_MS);
    for (const r of lost.readings) {
      expect(r.quality).toBe('bad');
      expect(r.reason).toMatch(/^disconnected: /);
    }
    const after = out.of('p').length;
    await out.until(
      () =>
        out.of('p').length > after &&
        out
          .of('p')
          .at(-1)!
          .readings.every((r) => r.quality === 'good'),
      'good readings again',
    );
    expect(out.statuses.filter((s) => s.instrument === 'p').map((s) => s.online)).toEqual([true, false, true]);
    expect(out.statuses.filter((s) => s.instrument === 'n').map((s) => s.online)).toEqual([true]);
    expect(out.of('n').every((b) => b.readings.every((r) => r.quality === 'good'))).toBe(true);
  });

  it('Modbus TCP: stop() is not held up by the request on the closed connection', async () => {
    const { sim, out, driver } = await tcpDevices(['p']);
    sim.device('p').setFaults({ dropConnection: 'once' });
    const closed = await closedAt(out, 'p');
    await driver.stop();
    expect(Date.now() - closed, 'ms from the close to stop() resolving').toBeLessThan(AT_ONCE_MS);
    expect(
      out
        .of('p')
        .at(-1)!
        .readings.every((r) => r.reason?.startsWith('disconnected: ')),
    ).toBe(true);
  });

  it('RTU over TCP: fails that read at once as disconnected', async () => {
    const sim = await startRtuSimulator({ line: { tcp: { port: 0 } }, devices: [{ profile: 'balance', id: 'b', unitId: 3, static: true }] });
    cleanups.push(() => sim.stop());
    const { out } = runRtu('modbus-rtu-tcp', [rtuTcpInstrument('b', 'balance', 3, sim.port, { timeoutMs: TIMEOUT_MS })]);
    await out.until(() => out.of('b').length >= 2, 'first cycles');
    // The converter hangs up on the next request, so no earlier than now.
    const beforeClose = Date.now();
    sim.device('b').setFaults({ dropConnection: 'once' });
    await out.until(() => out.of('b').some(isLost), 'the cycle the close cut short', 2 * TIMEOUT_MS);
    const lost = out.of('b').find(isLost)!;
    expect(lost.at - beforeClose, 'ms from the close to the failed reading').toBeLessThan(AT_ONCE_MS);
    expect(lost.readings.every((r) => r.reason?.startsWith('disconnected: '))).toBe(true);
  });
});
