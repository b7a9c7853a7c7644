import type { Logger } from '../gateway/log.js';
import type { Driver } from './driver.js';

/**
 * What drivers/registry.ts knows of a protocol: how its instruments group into units that start
 * and stop together, and how a unit's driver is made. The protocol's schema
 * (drivers/<protocol>/config.ts) and semantic check (drivers/<protocol>/check-config.ts) are
 * composed by config/; this is the run-time half.
 */
export interface DriverPlugin<I extends { id: string; protocol: string }> {
  /** The unit an instrument belongs to: its own id, or the shared line it is on. */
  unitName(inst: I): string;
  /**
   * The driver of one unit. `place` is the unit's first instrument's index among all instruments
   * of the protocol, and their count, so start phases spread as if one driver held them all.
   */
  create(unit: { site: string; instruments: I[]; log: Logger; place: { index: number; of: number } }): Driver;
}
