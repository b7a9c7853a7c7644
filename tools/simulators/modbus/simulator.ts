/**
 * The programmatic simulator: start N simulated instruments on one or more Modbus TCP servers,
 * in-process (tests, the demo) or behind main.ts (the benchmark's separate process).
 */
import type { UnknownUnitPolicy } from './connection.js';
import { ModbusTcpServer } from './mbap-server.js';
import { profileByName, type Profile } from './profiles.js';
import { SimulatedDevice } from './simulated-device.js';

export interface DeviceSpec {
  /** A profile name (see PROFILE_NAMES) or a custom profile. */
  profile: string | Profile;
  /** Name for Simulator.device(); default `<profile>-<index>`. Must be unique. */
  id?: string;
  /**
   * TCP port. Devices with the same non-zero port share one server (one unit id each).
   * 0 or omitted: a server of its own on an ephemeral port, unless `share` says otherwise.
   */
  port?: number;
  /** Devices with the same `share` key share one server, even on an ephemeral port. */
  share?: string;
  /** Default 1. */
  unitId?: number;
  /** Size of the bench profile. */
  registers?: number;
  seed?: number;
  static?: boolean;
  refreshMs?: number;
  /** Only the profile's registers are readable; elsewhere exception 2 (for `metrogate scan`). */
  strictMap?: boolean;
}

export interface SimulatorOptions {
  devices: DeviceSpec[];
  /** Default 127.0.0.1. */
  host?: string;
  /** Requests for a unit id no device uses: no answer (default) or exception 0x0B. */
  unknownUnit?: UnknownUnitPolicy;
}

export interface Simulator {
  readonly devices: readonly SimulatedDevice[];
  readonly servers: readonly ModbusTcpServer[];
  /** Bound ports, one per server, in the order of first appearance in `devices`. */
  readonly ports: number[];
  /** A device by id, or by port (and unit id, default 1). Throws when there is none. */
  device(idOrPort: string | number, unitId?: number): SimulatedDevice;
  stop(): Promise<void>;
}

function serverKey(spec: DeviceSpec, index: number): string {
  if (spec.share !== undefined) return `share:${spec.share}`;
  return spec.port ? `port:${spec.port}` : `own:${index}`;
}

export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const host = options.host ?? '127.0.0.1';
  const servers = new Map<string, ModbusTcpServer>();
  const devices: SimulatedDevice[] = [];
  const byId = new Map<string, SimulatedDevice>();
  const hostOf = new Map<SimulatedDevice, ModbusTcpServer>();

  options.devices.forEach((spec, index) => {
    const profile = typeof spec.profile === 'string' ? profileByName(spec.profile, spec.registers) : spec.profile;
    const id = spec.id ?? `${profile.name}-${index}`;
    if (byId.has(id)) throw new Error(`simulator device id "${id}" is used twice`);
    const key = serverKey(spec, index);
    let server = servers.get(key);
    if (!server) {
      server = new ModbusTcpServer({ host, port: spec.port ?? 0, unknownUnit: options.unknownUnit ?? 'ignore' });
      servers.set(key, server);
    }
    const device = new SimulatedDevice(profile, {
      id,
      seed: spec.seed,
      static: spec.static,
      refreshMs: spec.refreshMs,
      strictMap: spec.strictMap,
    });
    device.host = host;
    device.unitId = spec.unitId ?? 1;
    try {
      server.addUnit(device.unitId, device.modbus);
    } catch (err) {
      throw new Error(`simulator device ${id} (port ${spec.port ?? 0}): ${(err as Error).message}`);
    }
    devices.push(device);
    byId.set(id, device);
    hostOf.set(device, server);
  });

  const all = [...servers.values()];
  try {
    await Promise.all(all.map((s) => s.listen()));
  } catch (err) {
    await Promise.all(all.map((s) => s.close()));
    throw err;
  }
  for (const device of devices) device.port = hostOf.get(device)!.port;

  return {
    devices,
    servers: all,
    ports: all.map((s) => s.port),
    device(idOrPort, unitId = 1) {
      const found = typeof idOrPort === 'string' ? byId.get(idOrPort) : devices.find((d) => d.port === idOrPort && d.unitId === unitId);
      if (!found) throw new Error(`no simulated device ${idOrPort}${typeof idOrPort === 'number' ? ` unit ${unitId}` : ''}`);
      return found;
    },
    async stop() {
      await Promise.all(all.map((s) => s.close()));
    },
  };
}

export interface BenchOptions {
  count: number;
  /** First port; 0 for ephemeral ports. */
  basePort: number;
  registers?: number;
  /** Unit ids per server (1..N on each); default 1, i.e. one port per device. */
  unitsPerPort?: number;
  seed?: number;
}

/** `count` bench devices on ports basePort, basePort+1, ... with `unitsPerPort` unit ids each. */
export function benchDevices(options: BenchOptions): DeviceSpec[] {
  const perPort = options.unitsPerPort ?? 1;
  if (!Number.isInteger(perPort) || perPort < 1 || perPort > 247) {
    throw new RangeError(`units per port must be an integer in 1..247, got ${perPort}`);
  }
  const specs: DeviceSpec[] = [];
  for (let i = 0; i < options.count; i++) {
    const slot = Math.floor(i / perPort);
    specs.push({
      profile: 'bench',
      id: `bench-${i}`,
      port: options.basePort ? options.basePort + slot : 0,
      share: options.basePort ? undefined : `bench-${slot}`,
      unitId: 1 + (i % perPort),
      registers: options.registers,
      seed: options.seed === undefined ? undefined : options.seed + i,
    });
  }
  return specs;
}
