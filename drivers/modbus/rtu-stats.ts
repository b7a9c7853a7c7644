import type { DriverStats } from '../driver.js';
import type { RtuCounters } from './rtu-master.js';

/** An RTU instrument's counters, plus the state of the line it shares. */
export interface RtuInstrumentStats extends DriverStats {
  line: string;
  unitId: number;
  /** Not answering: polled only by rare probes, its readings bad without a request. */
  backedOff: boolean;
  /** The line's estimated load (share of its time the instruments need); above 1 it cannot keep up. */
  lineLoad: number;
  /** Cycles were skipped recently because the line is full. */
  overCapacity: boolean;
}

/** One shared line, for the API, the logs and the measurements in the README. */
export interface LineStats {
  line: string;
  instruments: string[];
  open: boolean;
  load: number;
  /** Share of the last window the line carried transactions. */
  utilisation: number;
  overCapacity: boolean;
  transactionsPerSecond: number;
  backedOff: string[];
  counters: RtuCounters;
}
