/**
 * Which records the engine takes: a config block's record (its errors were refused by the config
 * loader; its warnings are logged at start) and a stored or posted record, checked exactly like
 * one added through the API (a file edited by hand is not trusted more).
 */
import type { InstrumentConfig } from '../../config/schema.js';
import type { Logger } from '../log.js';
import { unitOf } from './instrument-calibration.js';
import type { CalibrationRecord } from './record.js';
import { recordFromConfig } from './record-from-config.js';
import { orderRecords } from './status-timeline.js';
import { assertValidRecord, validateRecord } from './validate-record.js';

/** The record of an instrument's `calibration:` block, its warnings (points without U) logged. */
export function configRecord(inst: InstrumentConfig, log: Logger): CalibrationRecord {
  const r = recordFromConfig(inst.id, unitOf(inst, inst.calibration!.channel), inst.calibration!);
  for (const w of validateRecord(r).filter((p) => p.severity === 'warning')) {
    log.warn({ instrument: r.instrument, certificate: r.certificate, at: w.at.join('.') }, `calibration record: ${w.message}`);
  }
  return r;
}

/** Why `r` cannot be used (invalid, or tied with a record of its scope in `all`), or null. */
export function refusalOf(r: CalibrationRecord, inst: InstrumentConfig, all: readonly CalibrationRecord[], log: Logger): string | null {
  try {
    const warnings = assertValidRecord(r, { channels: inst.channels.map((c) => c.id) });
    orderRecords([...all.filter((x) => x.instrument === r.instrument && x.channel === r.channel), r]);
    for (const w of warnings) log.warn({ instrument: r.instrument, certificate: r.certificate, at: w.at.join('.') }, `calibration record: ${w.message}`);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}
