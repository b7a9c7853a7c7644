/**
 * A profile brought to life on one ModbusDevice: each point's signal is encoded into the banks
 * when a client reads it (compute on read), at most once per `refreshMs`, so 1,000 idle devices
 * cost nothing and a device polled at 1 Hz computes each value once per poll.
 *
 * A point stops following its signal ("pinned") when a test calls set()/setRegisters() or a
 * client writes to it over Modbus: a setpoint written by the gateway stays what was written.
 */
import type { ByteOrder, RegisterFunction } from '../../../drivers/modbus/config.js';
import { applyScale, decodeRegisters, type DecodedValue } from '../../../drivers/modbus/decode.js';
import { encodeValue } from '../../../drivers/modbus/encode.js';
import { isBitFunction, parseRegisterType, type RegisterSpec } from '../../../drivers/modbus/register-type.js';
import { ModbusDevice, type Faults } from './device.js';
import type { Profile, ProfilePoint } from './profiles.js';
import { compileSignal, nominalValue, seededRandom, type SignalFn } from './signals.js';

export interface SimulatedDeviceOptions {
  /** Name used by Simulator.device(); default the profile name. */
  id?: string;
  /** Seed of the noise generator; default random. */
  seed?: number;
  /** Show nominal values (no noise, no drift) and never change them: exact values for tests. */
  static?: boolean;
  /** Minimum time between two recomputations of one point; default 100 ms. */
  refreshMs?: number;
  /** Time source in ms (tests may freeze it); default Date.now. */
  clock?: () => number;
  /** Only the profile's points are readable; other addresses answer exception 2 (for scans). */
  strictMap?: boolean;
}

interface LivePoint {
  readonly point: ProfilePoint;
  readonly fn: RegisterFunction;
  readonly spec: RegisterSpec;
  readonly order: ByteOrder;
  readonly scale: number;
  readonly offset: number;
  readonly address: number;
  /** One past the last register or bit. */
  readonly end: number;
  readonly signal: SignalFn;
  pinned: boolean;
  updatedAt: number;
}

export class SimulatedDevice {
  readonly id: string;
  readonly modbus: ModbusDevice;
  readonly profile: Profile;
  /** Where the device is served; set by the Simulator once its server listens. */
  host = '127.0.0.1';
  port = 0;
  unitId = 1;
  private readonly points = new Map<string, LivePoint>();
  private readonly byFunction: Record<RegisterFunction, LivePoint[]> = { coil: [], discrete: [], holding: [], input: [] };
  private readonly refreshMs: number;
  private readonly clock: () => number;
  private readonly frozen: boolean;

  constructor(profile: Profile, options: SimulatedDeviceOptions = {}, modbus = new ModbusDevice()) {
    this.id = options.id ?? profile.name;
    this.profile = profile;
    this.modbus = modbus;
    this.refreshMs = options.refreshMs ?? 100;
    this.clock = options.clock ?? Date.now;
    this.frozen = options.static ?? false;
    const random = seededRandom(options.seed ?? Math.floor(Math.random() * 2 ** 32));
    const now = this.clock();
    for (const point of profile.points) {
      const live = this.compile(point, random);
      this.points.set(point.channel, live);
      this.byFunction[point.function].push(live);
      this.store(live, this.frozen ? nominalValue(point.signal) : live.signal(now));
      live.updatedAt = now;
    }
    if (options.strictMap) {
      modbus.map = {};
      for (const live of this.points.values()) (modbus.map[live.fn] ??= []).push([live.address, live.end]);
    }
    modbus.hooks = {
      beforeRead: (fn, address, quantity) => this.refresh(fn, address, quantity),
      afterWrite: (fn, address, quantity) => this.pin(fn, address, quantity),
    };
  }

  /** The device's faults; mutate fields directly or call setFaults. */
  get faults(): Faults {
    return this.modbus.faults;
  }

  setFaults(faults: Partial<Faults>): void {
    this.modbus.setFaults(faults);
  }

  clearFaults(): void {
    this.modbus.clearFaults();
  }

  /** Answers sent by this device. */
  get served(): number {
    return this.modbus.served;
  }

  /** Puts an exact engineering value (before scaling is undone) on a channel and pins it there. */
  set(channel: string, value: DecodedValue): void {
    const live = this.point(channel);
    this.store(live, value);
    live.pinned = true;
  }

  /** Returns a pinned channel to its signal. */
  release(channel: string): void {
    const live = this.point(channel);
    live.pinned = false;
    live.updatedAt = -Infinity;
  }

  /** Writes raw words (0/1 for bits) and pins every point they touch. */
  setRegisters(fn: RegisterFunction, address: number, words: ArrayLike<number>): void {
    this.modbus.banks.write(fn, address, words);
    this.pin(fn, address, words.length);
  }

  /** The channel's value as a client would decode it now (after scaling). */
  value(channel: string): DecodedValue {
    const live = this.point(channel);
    const banks = this.modbus.banks;
    if (isBitFunction(live.fn)) return banks[live.fn as 'coil' | 'discrete'].get(live.address);
    const words = banks.read(live.fn, live.address, live.spec.registers);
    const bytes = new Uint8Array(words.length * 2);
    words.forEach((w, k) => {
      bytes[2 * k] = w >>> 8;
      bytes[2 * k + 1] = w & 0xff;
    });
    return applyScale(decodeRegisters(live.spec, live.order, bytes, 0), live.scale, live.offset);
  }

  private point(channel: string): LivePoint {
    const live = this.points.get(channel);
    if (!live) {
      const known = [...this.points.keys()].join(', ');
      throw new Error(`device ${this.id} (${this.profile.name}) has no channel "${channel}"; it has ${known}`);
    }
    return live;
  }

  private compile(point: ProfilePoint, random: () => number): LivePoint {
    let spec: RegisterSpec;
    try {
      spec = parseRegisterType(point.type, point.function);
    } catch (err) {
      throw new Error(`profile ${this.profile.name}, channel ${point.channel}: ${(err as Error).message}`);
    }
    const registers = isBitFunction(point.function) ? 1 : spec.registers;
    return {
      point,
      fn: point.function,
      spec,
      order: point.order ?? 'ABCD',
      scale: point.scale ?? 1,
      offset: point.offset ?? 0,
      address: point.address,
      end: point.address + registers,
      signal: compileSignal(point.signal, random),
      pinned: false,
      updatedAt: -Infinity,
    };
  }

  private store(live: LivePoint, value: DecodedValue): void {
    const banks = this.modbus.banks;
    if (isBitFunction(live.fn)) {
      banks[live.fn as 'coil' | 'discrete'].set(live.address, value === true || value === 1);
      return;
    }
    // Scaling is `raw * scale + offset` (decode.ts), so the device holds (value - offset) / scale.
    const raw = typeof value === 'number' ? (value - live.offset) / live.scale : value;
    try {
      banks[live.fn as 'holding' | 'input'].write(live.address, encodeValue(live.spec, live.order, raw));
    } catch (err) {
      throw new Error(`device ${this.id}, channel ${live.point.channel}: ${(err as Error).message}`);
    }
  }

  private refresh(fn: RegisterFunction, address: number, quantity: number): void {
    if (this.frozen) return;
    const now = this.clock();
    const end = address + quantity;
    for (const live of this.byFunction[fn]) {
      if (live.pinned || live.address >= end || live.end <= address || now - live.updatedAt < this.refreshMs) continue;
      live.updatedAt = now;
      this.store(live, live.signal(now));
    }
  }

  private pin(fn: RegisterFunction, address: number, quantity: number): void {
    const end = address + quantity;
    for (const live of this.byFunction[fn]) {
      if (live.address < end && address < live.end) live.pinned = true;
    }
  }
}
