/**
 * Which simulated device stands behind each instrument of a gateway config.
 *
 * Convention: an instrument is simulated when its channels are exactly the channels of a profile
 * (channelsFor(profile), in any order; `bench` matches r000..rNNN of any length). The config then
 * needs no simulator-only field, and an edited channel that the simulator could not serve shows
 * up as "skipped" instead of as silently wrong values.
 */
import type { MetrogateConfig } from '../../../config/schema.js';
import type { ModbusChannelConfig as ChannelConfig } from '../../../drivers/modbus/config.js';
import { benchProfile, channelsFor, PROFILE_NAMES, profileByName, type Profile } from './profiles.js';
import type { DeviceSpec } from './simulator.js';

export interface ConfigDeviceOptions {
  /** Serve each configured port on an ephemeral port instead (read them back from the Simulator). */
  ephemeralPorts?: boolean;
  static?: boolean;
  seed?: number;
}

export interface ConfigDevices {
  devices: DeviceSpec[];
  /** Instruments not simulated, with the reason (for a log line). */
  skipped: { instrument: string; reason: string }[];
}

function sameChannel(a: ChannelConfig, b: ChannelConfig): boolean {
  return (
    a.id === b.id &&
    a.function === b.function &&
    a.address === b.address &&
    a.type === b.type &&
    a.order === b.order &&
    a.scale === b.scale &&
    a.offset === b.offset &&
    a.quantity === b.quantity &&
    a.unit === b.unit
  );
}

/** Whether `channels` (defaults applied, as the config loader returns them) read exactly `profile`. */
export function channelsMatch(profile: Profile, channels: readonly ChannelConfig[]): boolean {
  const expected = channelsFor(profile);
  if (expected.length !== channels.length) return false;
  const byId = new Map(channels.map((c) => [c.id, c]));
  return expected.every((e) => {
    const c = byId.get(e.id);
    return c !== undefined && sameChannel(e, c);
  });
}

export function matchProfile(channels: readonly ChannelConfig[]): Profile | undefined {
  for (const name of PROFILE_NAMES) {
    const profile = name === 'bench' ? benchProfile(Math.max(1, channels.length)) : profileByName(name);
    if (channelsMatch(profile, channels)) return profile;
  }
  return undefined;
}

export function devicesFromConfig(config: MetrogateConfig, options: ConfigDeviceOptions = {}): ConfigDevices {
  const devices: DeviceSpec[] = [];
  const skipped: ConfigDevices['skipped'] = [];
  const taken = new Map<string, string>();
  config.instruments.forEach((inst, index) => {
    if (inst.protocol !== 'modbus-tcp') {
      skipped.push({ instrument: inst.id, reason: `protocol ${String(inst.protocol)} is not simulated` });
      return;
    }
    const profile = matchProfile(inst.channels);
    if (!profile) {
      skipped.push({ instrument: inst.id, reason: 'its channels match no simulator profile (see channelsFor)' });
      return;
    }
    const { port, unitId } = inst.connection;
    const slot = `${port}/${unitId}`;
    const first = taken.get(slot);
    if (first !== undefined) {
      skipped.push({ instrument: inst.id, reason: `port ${port} unit ${unitId} is already simulated for ${first}` });
      return;
    }
    taken.set(slot, inst.id);
    devices.push({
      profile,
      id: inst.id,
      port: options.ephemeralPorts ? 0 : port,
      // Instruments sharing a configured port keep sharing one server on an ephemeral port.
      share: options.ephemeralPorts ? `port-${port}` : undefined,
      unitId,
      static: options.static,
      seed: options.seed === undefined ? undefined : options.seed + index,
    });
  });
  return { devices, skipped };
}
