import { isDeepStrictEqual } from 'node:util';
import type { InstrumentConfig, MetrogateConfig } from '../config/schema.js';

export interface ReloadPlan {
  added: string[];
  removed: string[];
  changed: string[];
  /** Protocols whose drivers restart (a driver serves all instruments of its protocol). */
  protocols: InstrumentConfig['protocol'][];
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
  const protocols = new Set<InstrumentConfig['protocol']>();
  for (const id of [...added, ...changed]) protocols.add(after.get(id)!.protocol);
  for (const id of [...removed, ...changed]) protocols.add(before.get(id)!.protocol);
  const needsRestart = RESTART_SECTIONS.filter((k) => !isDeepStrictEqual(current[k], next[k]));
  return { added, removed, changed, protocols: [...protocols], needsRestart };
}
