/**
 * Instrument profiles of the OPC UA simulator: the variables an instrument exposes, their data
 * types, engineering units (EUInformation, UNECE codes) and ranges (EURange), and how their
 * values move. The same table renders the gateway config's channels (channelsFor).
 */
import type { OpcuaChannelConfig } from '../../../drivers/opcua/config.js';

export type SimDataType = 'Double' | 'Float' | 'Int32' | 'UInt16' | 'Boolean' | 'String';

export interface SimSignal {
  mean: number;
  /** Standard deviation of Gaussian noise. */
  noise?: number;
  /** Amplitude and period of a slow sinusoidal drift. */
  drift?: { amplitude: number; periodMs: number };
}

export interface SimPoint {
  /** Browse name of the variable and id of the channel. */
  channel: string;
  dataType: SimDataType;
  quantity: string;
  /** The unit's symbol, as the gateway config writes it. */
  unit: string;
  /** UNECE Rec. 20 common code, for EUInformation.unitId. */
  uneceCode?: string;
  range?: { low: number; high: number };
  /** Numbers: a signal; others: a constant. */
  value: SimSignal | boolean | string;
}

export interface Profile {
  name: string;
  points: SimPoint[];
}

const CLIMATE_CHAMBER: Profile = {
  name: 'climate-chamber',
  points: [
    {
      channel: 'temperature',
      dataType: 'Double',
      quantity: 'temperature',
      unit: '°C',
      uneceCode: 'CEL',
      range: { low: -40, high: 180 },
      value: { mean: 23, noise: 0.02, drift: { amplitude: 0.05, periodMs: 600_000 } },
    },
    {
      channel: 'humidity',
      dataType: 'Double',
      quantity: 'humidity',
      unit: '%RH',
      uneceCode: 'P1',
      range: { low: 0, high: 100 },
      value: { mean: 45, noise: 0.2, drift: { amplitude: 0.5, periodMs: 900_000 } },
    },
    {
      channel: 'temperature_setpoint',
      dataType: 'Double',
      quantity: 'temperature',
      unit: '°C',
      uneceCode: 'CEL',
      range: { low: -40, high: 180 },
      value: { mean: 23 },
    },
    { channel: 'humidity_setpoint', dataType: 'Double', quantity: 'humidity', unit: '%RH', uneceCode: 'P1', range: { low: 0, high: 100 }, value: { mean: 45 } },
    { channel: 'heater_power', dataType: 'Float', quantity: 'power', unit: '%', uneceCode: 'P1', range: { low: 0, high: 100 }, value: { mean: 35, noise: 1 } },
    { channel: 'door_open', dataType: 'Boolean', quantity: 'status', unit: '', value: false },
    { channel: 'program', dataType: 'String', quantity: 'status', unit: '', value: 'constant climate' },
  ],
};

export const PROFILE_NAMES = ['climate-chamber', 'bench'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** `bench`: N Double variables v0000, v0001, … with noise, for throughput measurements. */
export function benchProfile(points: number): Profile {
  return {
    name: 'bench',
    points: Array.from({ length: points }, (_, i) => ({
      channel: `v${String(i).padStart(4, '0')}`,
      dataType: 'Double' as const,
      quantity: 'value',
      unit: '',
      value: { mean: 100 + i, noise: 0.5 },
    })),
  };
}

export function profileByName(name: ProfileName, benchPoints = 100): Profile {
  return name === 'bench' ? benchProfile(benchPoints) : CLIMATE_CHAMBER;
}

/** The simulator's node ids: `ns=1;s=<instrument>.<channel>`. */
export function nodeIdOf(instrument: string, channel: string): string {
  return `ns=1;s=${instrument}.${channel}`;
}

/** The gateway channels that read every point of an instrument the simulator serves. */
export function channelsFor(instrument: string, profile: Profile): OpcuaChannelConfig[] {
  return profile.points.map((p) => ({ id: p.channel, nodeId: nodeIdOf(instrument, p.channel), quantity: p.quantity, unit: p.unit }));
}
