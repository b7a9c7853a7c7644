/**
 * demo.yaml and the Modbus simulator agree: each Modbus TCP instrument of the demo reads exactly
 * the channels of its simulator profile, and the simulator derives its devices from that config.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load-config.js';
import { asModbusTcp } from '../../config/schema.js';
import { channelsFor, devicesFromConfig, matchProfile, profileByName } from '../../tools/simulators/modbus/index.js';

const DEMO = fileURLToPath(new URL('../../config/examples/demo.yaml', import.meta.url));

describe('demo config and the simulator', () => {
  const expected: Record<string, string> = {
    'bath-01': 'temperature-bath',
    'pressure-01': 'pressure-controller',
    'balance-01': 'balance',
    'dmm-01': 'dmm',
  };

  it('demo.yaml is valid and each instrument reads exactly its simulator profile', () => {
    const config = loadConfig(DEMO, {});
    const modbus = config.instruments.filter((i) => i.protocol === 'modbus-tcp');
    expect(modbus.map((i) => i.id)).toEqual(Object.keys(expected));
    for (const inst of modbus.map(asModbusTcp)) {
      const profile = profileByName(expected[inst.id]!);
      const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
      expect([...inst.channels].sort(byId), inst.id).toEqual(channelsFor(profile).sort(byId));
      expect(matchProfile(inst.channels)?.name).toBe(profile.name);
    }
    expect(modbus.map(asModbusTcp).map((i) => [i.connection.port, i.connection.unitId, i.pollIntervalMs])).toEqual([
      [15020, 1, 1000],
      [15021, 1, 1000],
      [15022, 1, 500],
      [15023, 1, 1000],
    ]);
    const { devices, skipped } = devicesFromConfig(config, { ephemeralPorts: true });
    // The OPC UA instrument is served by the OPC UA simulator, not this one.
    expect(skipped).toEqual([{ instrument: 'chamber-01', reason: 'protocol opcua is not simulated' }]);
    expect(devices.map((d) => d.id)).toEqual(Object.keys(expected));
  });
});
