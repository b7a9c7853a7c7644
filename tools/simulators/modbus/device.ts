/**
 * One Modbus slave as the server sees it: its memory, its injected faults and its counters.
 * Faults are plain mutable fields so a test can flip them between two requests.
 */
import type { RegisterFunction } from '../../../drivers/modbus/config.js';
import { DeviceBanks } from './banks.js';

/** Answer exception `code` for requests touching this range (all requests when no address). */
export interface ExceptionFault {
  code: number;
  address?: number;
  /** Registers or bits from `address`; default 1. */
  quantity?: number;
  /** Only for this bank; default every bank. */
  function?: RegisterFunction;
}

export interface Faults {
  /** Read requests, never answer (the client times out). */
  mute: boolean;
  /** Answer this many ms late; later requests on the same connection queue behind it. */
  delayMs: number;
  exception: ExceptionFault | null;
  /** Close the socket on the next request; 'once' clears itself after one drop. */
  dropConnection: boolean | 'once';
  /**
   * Answer bytes that are no valid answer: `true` keeps the MBAP framing intact (matching
   * transaction id, inconsistent PDU) so the stream stays in sync; 'stream' sends bytes that
   * are not even MBAP (protocol id ≠ 0), which forces a client to drop the connection.
   */
  garbage: boolean | 'stream';
  /** RTU only: answer with a CRC that does not hold. */
  crcError: boolean;
  /** RTU only: answer as unit id + 1 (a valid frame from the wrong slave). */
  wrongUnit: boolean;
  /** RTU only: send the first half of the answer and stop. */
  truncate: boolean;
}

export function noFaults(): Faults {
  return {
    mute: false,
    delayMs: 0,
    exception: null,
    dropConnection: false,
    garbage: false,
    crcError: false,
    wrongUnit: false,
    truncate: false,
  };
}

/** Callbacks that let a signal model refresh memory just before it is read. */
export interface DeviceHooks {
  beforeRead?(fn: RegisterFunction, address: number, quantity: number): void;
  afterWrite?(fn: RegisterFunction, address: number, quantity: number): void;
}

export class ModbusDevice {
  readonly banks = new DeviceBanks();
  faults: Faults = noFaults();
  /** Requests addressed to this unit (including muted and dropped ones). */
  requests = 0;
  /** Answers sent (normal, exception or garbage). */
  served = 0;
  hooks: DeviceHooks = {};
  /**
   * Readable ranges per table, [start, end) pairs; a read touching anything else answers
   * exception 2, as most real devices do. Null (default): all 65536 addresses of every table.
   */
  map: Partial<Record<RegisterFunction, Array<[number, number]>>> | null = null;

  setFaults(faults: Partial<Faults>): void {
    this.faults = { ...this.faults, ...faults };
  }

  clearFaults(): void {
    this.faults = noFaults();
  }

  /** True when the device has a map and [address, address + quantity) is not wholly inside it. */
  outsideMap(fn: RegisterFunction, address: number, quantity: number): boolean {
    if (!this.map) return false;
    const end = address + quantity;
    // Adjacent ranges join: a read may span two points that sit back to back.
    let covered = address;
    for (const [from, to] of [...(this.map[fn] ?? [])].sort((a, b) => a[0] - b[0])) {
      if (from <= covered && to > covered) covered = to;
      if (covered >= end) return false;
    }
    return true;
  }

  /** The code of an injected exception that covers this request, or 0. */
  injectedException(fn: RegisterFunction, address: number, quantity: number): number {
    const fault = this.faults.exception;
    if (!fault) return 0;
    if (fault.function !== undefined && fault.function !== fn) return 0;
    if (fault.address === undefined) return fault.code;
    const end = fault.address + (fault.quantity ?? 1);
    return address < end && fault.address < address + quantity ? fault.code : 0;
  }
}
