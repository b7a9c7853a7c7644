/**
 * Turns a parsed DCC into a CalibrationRecord for one instrument (or channel). The due date comes
 * from the certificate's recalibration statement (a date, or a period after the calibration date)
 * or from the caller; a certificate without either cannot become a record on its own.
 */
import type { CalibrationRecord } from '../record.js';
import { formatPath, validateRecord } from '../validate-record.js';
import { DccError } from './dcc-error.js';
import type { ParsedDcc } from './parse-dcc.js';

export interface RecordOptions {
  instrument: string;
  channel?: string;
  /** YYYY-MM-DD; wins over the certificate's recalibration statement. */
  due?: string;
  /** Months after the calibration date; wins over the certificate's recalibration statement. */
  intervalMonths?: number;
  sourceFile?: string;
  /** The instrument's channel ids, when a config is known: checked like config and API records. */
  channels?: readonly string[];
}

export interface ImportedRecord {
  record: CalibrationRecord;
  /** Where the due date came from, for the user: `recalibration date in the certificate`, `--due`, … */
  dueFrom: string;
  /** Printed by the importer, never silent: points without U, quantities identified by id only. */
  warnings: string[];
}

function utc(date: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d));
}

/** Calendar months then days; a day missing in the target month clamps to its last day (Jan 31 + 1 M → Feb 28). */
export function addToDate(date: string, months: number, days = 0): string {
  const t = utc(date);
  const y = t.getUTCFullYear();
  const m = t.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  const out = new Date(Date.UTC(y, m, Math.min(t.getUTCDate(), lastDay) + days));
  return out.toISOString().slice(0, 10);
}

/** xs:duration limited to what a recalibration period uses: years, months, days (P1Y, P18M, P1Y6M, P365D). */
export function parsePeriod(text: string): { months: number; days: number } {
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?$/.exec(text.trim());
  if (!m || text.trim() === 'P') throw new Error(`recalibration period "${text}" is not a duration in years, months or days (e.g. P1Y, P18M)`);
  return { months: Number(m[1] ?? 0) * 12 + Number(m[2] ?? 0), days: Number(m[3] ?? 0) };
}

function dueDate(dcc: ParsedDcc, opts: RecordOptions): { due: string; dueFrom: string } {
  const calibrated = dcc.performance.end;
  if (opts.due !== undefined && opts.intervalMonths !== undefined) throw new DccError('', 'give either --due or --interval-months, not both');
  if (opts.due !== undefined) return { due: opts.due, dueFrom: '--due' };
  if (opts.intervalMonths !== undefined) {
    return { due: addToDate(calibrated, opts.intervalMonths), dueFrom: `--interval-months ${opts.intervalMonths}` };
  }
  if (dcc.recalibration?.date) return { due: dcc.recalibration.date, dueFrom: 'recalibration date in the certificate' };
  if (dcc.recalibration?.period) {
    const { months, days } = parsePeriod(dcc.recalibration.period);
    return { due: addToDate(calibrated, months, days), dueFrom: `recalibration period ${dcc.recalibration.period} in the certificate` };
  }
  throw new DccError(
    '',
    'the certificate states no recalibration date or period (statement refType basic_recalibration): give the due date with --due YYYY-MM-DD or --interval-months N',
  );
}

export function dccToRecord(dcc: ParsedDcc, opts: RecordOptions): ImportedRecord {
  const { due, dueFrom } = dueDate(dcc, opts);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(due) || utc(due).toISOString().slice(0, 10) !== due) throw new DccError('', `due date "${due}" is not a date (YYYY-MM-DD)`);
  if (due <= dcc.performance.end) throw new DccError('', `due date ${due} (${dueFrom}) must be after the calibration date ${dcc.performance.end}`);
  const record: CalibrationRecord = {
    certificate: dcc.certificate,
    instrument: opts.instrument,
    ...(opts.channel !== undefined && { channel: opts.channel }),
    kind: 'calibration',
    calibrated: dcc.performance.end,
    ...(dcc.issued !== undefined && { issued: dcc.issued }),
    due,
    ...(dcc.laboratory !== undefined && { laboratory: dcc.laboratory }),
    unit: dcc.unit,
    ...(dcc.range && { range: dcc.range }),
    errorTable: dcc.asLeft.points,
    ...(dcc.asFound && { asFound: dcc.asFound.points }),
    ...(dcc.mpe !== undefined && { mpe: dcc.mpe }),
    conformity: dcc.conformity,
    ...(dcc.asFoundConformity !== undefined && { asFoundConformity: dcc.asFoundConformity }),
    ...(dcc.resolution !== undefined && { resolution: dcc.resolution }),
    traceability: dcc.traceability,
    source: 'dcc',
    ...(opts.sourceFile !== undefined && { sourceFile: opts.sourceFile }),
  };
  // The same validation as config and API records; the table-level checks already ran on the XML.
  const problems = validateRecord(record, opts.channels ? { channels: opts.channels } : {});
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) throw new DccError('', errors.map((p) => `record ${formatPath(p.at)}: ${p.message}`).join('; '));
  // Points without U are already in the DCC's own warnings, with their element path.
  const warnings = [
    ...dcc.warnings,
    ...problems.filter((p) => p.severity === 'warning' && p.at[0] !== 'errorTable').map((p) => `record ${formatPath(p.at) || ''}: ${p.message}`),
  ];
  return { record, dueFrom, warnings };
}
