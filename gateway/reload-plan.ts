import { isDeepStrictEqual } from 'node:util';
import type { MetrogateConfig } from '../config/schema.js';
import { driverUnits } from '../drivers/registry.js';

export interface ReloadPlan {
  added: string[];
  removed: string[];
  changed: string[];
  /**
   * Driver units (one instrument, or one shared RTU line: drivers/registry.ts) to stop and to
   * start: a changed instrument restarts its own unit only, every other keeps polling.
   */
  units: { stop: string[]; start: string[] };
  /** Sections that differ but only take effect at the next start. */
  needsRestart: string[];
}

const RESTART_SECTIONS = ['site', 'gateway', 'mqtt', 'influx', 'ingest', 'api', 'spool', 'cloud', 'calibration'] as const;

/** What a new config changes: pure, so the decision is testable apart from the running gateway. */
export function planReload(current: MetrogateConfig, next: MetrogateConfig): ReloadPlan {
  const before = new Map(current.instruments.map((i) => [i.id, i]));
  const after = new Map(next.instruments.map((i) => [i.id, i]));
  const added = [...after.keys()].filter((id) => !before.has(id));
  const removed = [...before.keys()].filter((id) => !after.has(id));
  const changed = [...after.keys()].filter((id) => before.has(id) && !isDeepStrictEqual(before.get(id), after.get(id)));
  const unitsBefore = new Map(driverUnits(current.instruments).map((u) => [u.key, u.instruments]));
  const unitsAfter = new Map(driverUnits(next.instruments).map((u) => [u.key, u.instruments]));
  const stop = [...unitsBefore.keys()].filter((k) => !isDeepStrictEqual(unitsBefore.get(k), unitsAfter.get(k)));
  const start = [...unitsAfter.keys()].filter((k) => !isDeepStrictEqual(unitsBefore.get(k), unitsAfter.get(k)));
  const needsRestart = RESTART_SECTIONS.filter((k) => !isDeepStrictEqual(current[k], next[k]));
  return { added, removed, changed, units: { stop, start }, needsRestart };
}
