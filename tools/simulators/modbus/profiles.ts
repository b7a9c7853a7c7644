/**
 * Instrument profiles: one table per instrument kind that drives the simulator AND renders the
 * gateway's channel config (channelsFor), so the demo config and the simulator cannot disagree.
 * Values are realistic for a metrology lab: a 25 °C bath with mK noise, a 100 g reference mass
 * on a 0.1 mg balance, a 10 V reference on a long-scale DMM with µV noise.
 */
import type { ByteOrder, ModbusChannelConfig as ChannelConfig, RegisterFunction } from '../../../drivers/modbus/config.js';
import type { Signal } from './signals.js';

/** A channel's config plus the signal behind it; omitted fields take the config schema defaults. */
export interface ProfilePoint {
  channel: string;
  function: RegisterFunction;
  address: number;
  type: string;
  order?: ByteOrder;
  scale?: number;
  offset?: number;
  quantity: string;
  unit?: string;
  signal: Signal;
}

export interface Profile {
  name: string;
  description: string;
  points: readonly ProfilePoint[];
}

export const PROFILE_NAMES = ['temperature-bath', 'pressure-controller', 'balance', 'dmm', 'bench'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

export const DEFAULT_BENCH_REGISTERS = 50;

const temperatureBath: Profile = {
  name: 'temperature-bath',
  description: 'calibration bath at 25 °C: 5 mK noise, 20 mK drift over 10 min',
  points: [
    {
      channel: 'temperature',
      function: 'input',
      address: 0,
      type: 'float32',
      quantity: 'temperature',
      unit: '°C',
      signal: { kind: 'noisy', mean: 25, noise: 0.005, drift: 0.02, driftPeriodS: 600 },
    },
    {
      channel: 'heater_power',
      function: 'input',
      address: 2,
      type: 'uint16',
      scale: 0.1,
      quantity: 'power',
      unit: '%',
      signal: { kind: 'noisy', mean: 42, noise: 0.4, drift: 2, driftPeriodS: 600 },
    },
    { channel: 'setpoint', function: 'holding', address: 0, type: 'float32', quantity: 'temperature', unit: '°C', signal: { kind: 'constant', value: 25 } },
    { channel: 'circulating', function: 'coil', address: 0, type: 'bool', quantity: 'status', signal: { kind: 'constant', value: true } },
  ],
};

const pressureController: Profile = {
  name: 'pressure-controller',
  description: 'pressure controller at 200 kPa: int32 counts of 1 Pa (scale 0.001 kPa), 3 Pa noise',
  points: [
    {
      channel: 'pressure',
      function: 'input',
      address: 0,
      type: 'int32',
      scale: 0.001,
      quantity: 'pressure',
      unit: 'kPa',
      signal: { kind: 'noisy', mean: 200, noise: 0.003, drift: 0.01, driftPeriodS: 300 },
    },
    {
      channel: 'setpoint',
      function: 'holding',
      address: 0,
      type: 'int32',
      scale: 0.001,
      quantity: 'pressure',
      unit: 'kPa',
      signal: { kind: 'constant', value: 200 },
    },
    { channel: 'stable', function: 'discrete', address: 0, type: 'bool', quantity: 'status', signal: { kind: 'flag', periodS: 120, duty: 0.9 } },
  ],
};

const balance: Profile = {
  name: 'balance',
  description: 'analytical balance with a 100 g reference mass, 0.1 mg resolution',
  points: [
    {
      channel: 'mass',
      function: 'input',
      address: 0,
      type: 'int32',
      scale: 0.0001,
      quantity: 'mass',
      unit: 'g',
      signal: { kind: 'noisy', mean: 100, noise: 0.0002, drift: 0.0005, driftPeriodS: 900 },
    },
    { channel: 'stable', function: 'discrete', address: 0, type: 'bool', quantity: 'status', signal: { kind: 'flag', periodS: 30, duty: 0.8 } },
    { channel: 'tare', function: 'holding', address: 0, type: 'int32', scale: 0.0001, quantity: 'mass', unit: 'g', signal: { kind: 'constant', value: 0 } },
  ],
};

const dmm: Profile = {
  name: 'dmm',
  description: '8½-digit DMM on a 10 V reference: float64 word-swapped (CDAB), µV noise',
  points: [
    {
      channel: 'voltage',
      function: 'input',
      address: 0,
      type: 'float64',
      order: 'CDAB',
      quantity: 'voltage',
      unit: 'V',
      signal: { kind: 'noisy', mean: 10.000012, noise: 0.000002, drift: 0.000005, driftPeriodS: 900 },
    },
    { channel: 'range', function: 'holding', address: 0, type: 'uint16', quantity: 'range', unit: 'V', signal: { kind: 'constant', value: 10 } },
    {
      channel: 'serial',
      function: 'input',
      address: 16,
      type: 'string(16)',
      quantity: 'serial number',
      signal: { kind: 'constant', value: 'MG-DMM-2026-0042' },
    },
  ],
};

/**
 * `registers` holding registers from address 0, alternately uint16 and int16, each with noise:
 * the benchmark's generic device (50 registers read in one request at 1 Hz).
 */
export function benchProfile(registers = DEFAULT_BENCH_REGISTERS): Profile {
  if (!Number.isInteger(registers) || registers < 1 || registers > 65536) {
    throw new RangeError(`bench registers must be an integer in 1..65536, got ${registers}`);
  }
  const points: ProfilePoint[] = [];
  for (let i = 0; i < registers; i++) {
    const signed = i % 2 === 1;
    points.push({
      channel: `r${String(i).padStart(3, '0')}`,
      function: 'holding',
      address: i,
      type: signed ? 'int16' : 'uint16',
      quantity: 'signal',
      signal: { kind: 'noisy', mean: signed ? -1000 - (i % 1000) : 10000 + (i % 1000), noise: 3, drift: 20, driftPeriodS: 300 },
    });
  }
  return { name: 'bench', description: `${registers} noisy uint16/int16 holding registers`, points };
}

const FIXED: Readonly<Record<Exclude<ProfileName, 'bench'>, Profile>> = {
  'temperature-bath': temperatureBath,
  'pressure-controller': pressureController,
  balance,
  dmm,
};

export function isProfileName(name: string): name is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(name);
}

/** The named profile; `registers` sizes the bench profile and is ignored by the others. */
export function profileByName(name: string, registers?: number): Profile {
  if (!isProfileName(name)) {
    throw new Error(`unknown simulator profile "${name}": expected one of ${PROFILE_NAMES.join(', ')}`);
  }
  return name === 'bench' ? benchProfile(registers) : FIXED[name];
}

/** The gateway config channels that read this profile, every field explicit. */
export function channelsFor(profile: Profile): ChannelConfig[] {
  return profile.points.map((p) => ({
    id: p.channel,
    function: p.function,
    address: p.address,
    type: p.type,
    order: p.order ?? 'ABCD',
    scale: p.scale ?? 1,
    offset: p.offset ?? 0,
    quantity: p.quantity,
    unit: p.unit ?? '',
  }));
}
