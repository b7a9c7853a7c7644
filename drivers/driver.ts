import type { UntaggedReading } from '../gateway/reading.js';

/** Connection state of one device, as the driver sees it. */
export interface DeviceStatus {
  instrument: string;
  online: boolean;
  /** ms since epoch of the last change. */
  since: number;
  /** Last error while offline or degraded, for humans. */
  error?: string;
}

/** Where a driver delivers its work. The pipeline implements it. */
export interface DriverOutput {
  /**
   * One poll cycle's readings for one instrument, untagged (the pipeline tags them). Ownership
   * passes to the callee.
   */
  readings(instrument: string, readings: UntaggedReading[]): void;
  status(status: DeviceStatus): void;
}

/** Counters a driver keeps per instrument; read by the API and the demo summary. */
export interface DriverStats {
  instrument: string;
  polls: number;
  readings: number;
  errors: number;
  timeouts: number;
  skippedCycles: number;
  /** Duration of the last completed poll cycle, ms. */
  lastCycleMs: number;
  /** Shared lines (Modbus RTU): the line's load; above 1 it is over capacity. */
  lineLoad?: number;
  overCapacity?: boolean;
  /** A dead slave being probed instead of polled. */
  backedOff?: boolean;
}

/**
 * A push source: it owns its connections, timers and retry loops. start() returns once the
 * driver is scheduled (not once the device answered: an unreachable device must not block start).
 */
export interface Driver {
  readonly protocol: string;
  start(output: DriverOutput): void;
  stop(): Promise<void>;
  stats(): DriverStats[];
}
