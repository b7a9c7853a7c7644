/**
 * Manual statuses (a quarantine by hand or by a failed intermediate check, out of service) kept
 * beside the calibration records in `<recordsDir>/.manual.json`: a restart must not quietly
 * release an instrument that only a person may release.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, PRIVATE_FILE } from '../private-files.js';
import type { ManualState } from './channel-calibration.js';

export const MANUAL_FILE = '.manual.json';

export function loadManualStatuses(dir: string): Map<string, ManualState> {
  const file = join(dir, MANUAL_FILE);
  const out = new Map<string, ManualState>();
  if (!existsSync(file)) return out;
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { v?: number; instruments?: Record<string, ManualState> };
  if (doc.v !== 1 || typeof doc.instruments !== 'object' || doc.instruments === null) {
    throw new Error(`${file}: not a metrogate manual status file (expected {"v":1,"instruments":{…}})`);
  }
  for (const [id, s] of Object.entries(doc.instruments)) {
    if ((s.status === 'quarantined' || s.status === 'out_of_service') && typeof s.since === 'number') out.set(id, s);
    else throw new Error(`${file}: instruments.${id}: expected {"status":"quarantined"|"out_of_service","since":<ms>}`);
  }
  return out;
}

/** Written whole to a temporary file and renamed: a crash leaves the old file or the new one. */
export function saveManualStatuses(dir: string, states: ReadonlyMap<string, ManualState>): void {
  ensurePrivateDir(dir, 'calibration records directory');
  const file = join(dir, MANUAL_FILE);
  writeFileSync(`${file}.tmp`, `${JSON.stringify({ v: 1, instruments: Object.fromEntries(states) }, null, 1)}\n`, { mode: PRIVATE_FILE });
  renameSync(`${file}.tmp`, file);
}
