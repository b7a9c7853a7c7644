/**
 * `metrogate scan` against simulated slaves whose memory map is strict (exception 2 outside the
 * profile's registers, like most real devices): on a serial pty line, through an RTU-over-TCP
 * converter and on a Modbus TCP gateway. The skeleton it prints must load as a config.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load-config.js';
import type { RegisterFunction } from '../../drivers/modbus/config.js';
import { isBitFunction, parseRegisterType } from '../../drivers/modbus/register-type.js';
import { profileByName, startRtuSimulator, startSimulator } from '../../tools/simulators/modbus/index.js';
import { runScanCommand } from '../../gateway/cli/scan-command.js';
import { cleanUp, cleanups, FAST_LINE, serialRig } from '../support/modbus-rtu-rig.js';

afterEach(cleanUp);

async function scan(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runScanCommand(args, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

/** The addresses a profile maps, per table: what a scan must find. */
function mapped(profile: string): Record<string, number[]> {
  const tables: Record<string, Set<number>> = {};
  for (const p of profileByName(profile).points) {
    const n = isBitFunction(p.function) ? 1 : parseRegisterType(p.type, p.function).registers;
    for (let a = p.address; a < p.address + n; a++) (tables[p.function] ??= new Set()).add(a);
  }
  return Object.fromEntries(Object.entries(tables).map(([fn, set]) => [fn, [...set].sort((x, y) => x - y)]));
}

/** Addresses of the skeleton's channels of one instrument, per table. */
function found(yaml: string, id: string): Record<string, number[]> {
  const config = parseConfig(yaml, 'scan.yaml', {});
  const inst = config.instruments.find((i) => i.id === id);
  if (!inst || inst.protocol === 'opcua') throw new Error(`no Modbus instrument ${id} in the skeleton`);
  const tables: Record<string, number[]> = {};
  for (const ch of inst.channels) (tables[ch.function as RegisterFunction] ??= []).push(ch.address);
  return tables;
}

describe('metrogate scan', () => {
  it('finds the slaves on a serial line and their readable ranges, and prints a config that loads', async () => {
    const { pty } = await serialRig([
      { profile: 'temperature-bath', id: 'bath', unitId: 2, strictMap: true },
      { profile: 'dmm', id: 'dmm', unitId: 5, strictMap: true },
    ]);
    const { code, out, err } = await scan([
      '--serial',
      pty.gateway,
      '--baud',
      String(FAST_LINE.baudRate),
      '--parity',
      'none',
      '--units',
      '1-6',
      '--timeout',
      '60',
      '--step',
      '8',
      '--to',
      '200',
    ]);
    expect(code, err).toBe(0);
    const config = parseConfig(out, 'scan.yaml', {});
    expect(config.instruments.map((i) => [i.id, i.protocol])).toEqual([
      ['unit-2', 'modbus-rtu'],
      ['unit-5', 'modbus-rtu'],
    ]);
    expect(config.instruments[0]).toMatchObject({ unitId: 2, line: { port: pty.gateway, baudRate: 115200, parity: 'none' } });
    expect(found(out, 'unit-2')).toEqual(mapped('temperature-bath'));
    expect(found(out, 'unit-5')).toEqual(mapped('dmm'));
    expect(err).toContain('2 unit(s) answered');
  });

  it('scans the slaves behind an RTU-over-TCP converter', async () => {
    const sim = await startRtuSimulator({
      line: { tcp: {} },
      devices: [{ profile: 'balance', id: 'balance', unitId: 17, strictMap: true, static: true }],
    });
    cleanups.push(() => sim.stop());
    const { code, out } = await scan(['--rtu-tcp', `127.0.0.1:${sim.port}`, '--units', '15-18', '--timeout', '60', '--step', '4', '--to', '64']);
    expect(code).toBe(0);
    expect(parseConfig(out, 'scan.yaml', {}).instruments[0]).toMatchObject({ id: 'unit-17', protocol: 'modbus-rtu-tcp', line: { port: sim.port } });
    expect(found(out, 'unit-17')).toEqual(mapped('balance'));
  });

  it('scans the unit ids behind a Modbus TCP gateway', async () => {
    const sim = await startSimulator({
      devices: [
        { profile: 'pressure-controller', id: 'p', unitId: 1, share: 'gw', strictMap: true, static: true },
        { profile: 'dmm', id: 'd', unitId: 3, share: 'gw', strictMap: true, static: true },
      ],
    });
    cleanups.push(() => sim.stop());
    const { code, out } = await scan(['--tcp', `127.0.0.1:${sim.ports[0]}`, '--units', '1-4', '--timeout', '150', '--step', '8', '--to', '100']);
    expect(code).toBe(0);
    const config = parseConfig(out, 'scan.yaml', {});
    expect(config.instruments.map((i) => i.id)).toEqual(['unit-1', 'unit-3']);
    expect(config.instruments[1]).toMatchObject({ protocol: 'modbus-tcp', connection: { host: '127.0.0.1', port: sim.ports[0], unitId: 3 } });
    expect(found(out, 'unit-1')).toEqual(mapped('pressure-controller'));
    expect(found(out, 'unit-3')).toEqual(mapped('dmm'));
  });

  it('exits 1 with a valid empty skeleton when nobody answers, and 64 on bad usage', async () => {
    const { pty } = await serialRig([{ profile: 'balance', id: 'b', unitId: 9 }]);
    const none = await scan(['--serial', pty.gateway, '--baud', '115200', '--units', '1-3', '--timeout', '30']);
    expect(none.code).toBe(1);
    expect(none.err).toContain('no unit answered');
    expect(parseConfig(none.out, 'scan.yaml', {}).instruments).toEqual([]);

    expect((await scan([])).code).toBe(64);
    const bad = await scan(['--serial', pty.gateway, '--parity', 'mark']);
    expect(bad.code).toBe(64);
    expect(bad.err).toContain('--parity is none, even or odd, got "mark"');
    expect((await scan(['--tcp', 'h', '--units', '3-1'])).err).toContain('--units: "3-1"');
  });
});
