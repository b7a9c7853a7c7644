import type { CalibrationConfig } from './calibration-config.js';
import { difference } from './decimal.js';
import type { CalibrationRecord, ErrorTablePoint } from './record.js';

type ConfigPoint = NonNullable<CalibrationConfig['errorTable']>[number];

function point(p: ConfigPoint): ErrorTablePoint {
  const out: ErrorTablePoint = { reference: p.reference, indication: p.indication, error: p.error ?? difference(p.indication, p.reference) };
  if (p.U !== undefined) {
    out.U = p.U;
    out.k = p.k ?? 2;
  }
  if (p.tolerance) out.tolerance = p.tolerance;
  if (p.acceptance) out.acceptance = p.acceptance;
  return out;
}

/** The record an instrument's `calibration:` block in the config describes (due already derived by the loader). */
export function recordFromConfig(instrument: string, unit: string, c: CalibrationConfig): CalibrationRecord {
  if (!c.due) throw new Error(`calibration ${c.certificate} of ${instrument}: no due date (the config loader derives it)`);
  const r: CalibrationRecord = {
    certificate: c.certificate,
    instrument,
    kind: c.kind ?? 'calibration',
    calibrated: c.calibrated,
    due: c.due,
    unit,
    errorTable: (c.errorTable ?? []).map(point),
    traceability: c.traceability ?? [],
    source: 'config',
  };
  const optional = {
    channel: c.channel,
    issued: c.issued,
    laboratory: c.laboratory,
    range: c.range,
    mpe: c.mpe,
    decisionRule: c.decisionRule,
    conformity: c.conformity,
    asFoundConformity: c.asFoundConformity,
    limitedTo: c.limitedTo,
    resolution: c.resolution,
    dueSoonDays: c.dueSoonDays,
    dueSoonShare: c.dueSoonShare,
    extraUncertainty: c.extraUncertainty,
    asFound: c.asFound?.map(point),
  };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) (r as unknown as Record<string, unknown>)[k] = v;
  return r;
}
