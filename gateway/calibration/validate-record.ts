/**
 * The one validation of a calibration record, whatever brought it: the config, the API or an
 * imported DCC. Errors refuse the record (config: `validate` exits 2 with the path; API: 400;
 * import: nothing imported); warnings are printed and logged, the record is kept.
 */
import { decimalsOf } from './decimal.js';
import type { CalibrationRecord, ErrorTablePoint } from './record.js';

export type ProblemPath = (string | number)[];

export interface RecordProblem {
  /** Path inside the record, the same for a config `calibration:` block and a posted record. */
  at: ProblemPath;
  message: string;
  severity: 'error' | 'warning';
}

export interface RecordContext {
  /** The instrument's channel ids, when known: a record for another channel would never be used. */
  channels?: readonly string[];
}

export function formatPath(at: ProblemPath): string {
  return at.reduce<string>((s, seg) => (typeof seg === 'number' ? `${s}[${seg}]` : s === '' ? seg : `${s}.${seg}`), '');
}

export function validateRecord(r: CalibrationRecord, ctx: RecordContext = {}): RecordProblem[] {
  const out: RecordProblem[] = [];
  const error = (at: ProblemPath, message: string) => out.push({ at, message, severity: 'error' });
  const warn = (at: ProblemPath, message: string) => out.push({ at, message, severity: 'warning' });
  if (r.channel !== undefined && ctx.channels && !ctx.channels.includes(r.channel)) {
    error(
      ['channel'],
      `no channel "${r.channel}" in instrument ${r.instrument} (channels: ${ctx.channels.join(', ') || 'none'}): the record would never be used`,
    );
  }
  if (r.due <= r.calibrated) error(['due'], `due ${r.due} must be after calibrated ${r.calibrated}`);
  if (r.range && !(r.range.min <= r.range.max)) error(['range'], `min ${r.range.min} is greater than max ${r.range.max}`);
  checkTable(r.errorTable, ['errorTable'], error);
  if (r.asFound) checkTable(r.asFound, ['asFound'], error);
  checkLimited(r, error);
  if (r.kind === 'verification' && r.mpe === undefined) {
    error(['mpe'], 'a verification record certifies conformity with an MPE: give mpe (its u includes MPE/√3)');
  }
  if (r.kind === 'calibration') {
    r.errorTable.forEach((p, i) => {
      if (p.U === undefined)
        warn(['errorTable', i, 'U'], `no uncertainty at reference ${p.reference}: readings between its neighbours and it are not traceable`);
    });
  }
  if (r.errorTable.length === 0 && !r.range) warn([], 'neither a validity range nor an error table: no reading can be traceable to this record');
  return out;
}

function checkTable(points: readonly ErrorTablePoint[], at: ProblemPath, error: (at: ProblemPath, m: string) => void): void {
  const seen = new Map<number, number>();
  points.forEach((p, i) => {
    for (const key of ['reference', 'indication', 'error', 'U', 'k'] as const) {
      const v = p[key];
      if (v !== undefined && !Number.isFinite(v)) error([...at, i, key], `${v} is not a number`);
    }
    const first = seen.get(p.indication);
    if (first !== undefined) error([...at, i, 'indication'], `indication ${p.indication} repeats point ${first + 1}: one indication cannot have two errors`);
    else seen.set(p.indication, i);
    checkSign(p, [...at, i, 'error'], error);
    for (const key of ['tolerance', 'acceptance'] as const) {
      const l = p[key];
      if (l && !(l.lower <= l.upper)) error([...at, i, key], `lower ${l.lower} is greater than upper ${l.upper}`);
    }
  });
}

/**
 * error = indication − reference, within the rounding of the digits written. A trailing-zero-free
 * integer (YAML reads −40.00 as −40) is taken at the precision of the other two numbers.
 */
function checkSign(p: ErrorTablePoint, at: ProblemPath, error: (at: ProblemPath, m: string) => void): void {
  const nums = [p.reference, p.indication, p.error];
  const most = Math.max(...nums.map(decimalsOf));
  const tolerance = nums.reduce((t, x) => t + 0.5 * 10 ** -(Number.isInteger(x) ? most : decimalsOf(x)), 0) * (1 + 1e-9);
  const computed = p.indication - p.reference;
  if (Math.abs(computed - p.error) <= tolerance) return;
  const hint = Math.abs(computed + p.error) <= tolerance ? ': it looks like a correction (reference − indication); the error is indication − reference' : '';
  error(at, `indication ${p.indication} − reference ${p.reference} = ${Number(computed.toFixed(Math.min(15, most)))}, but the error is ${p.error}${hint}`);
}

function checkLimited(r: CalibrationRecord, error: (at: ProblemPath, m: string) => void): void {
  (r.limitedTo ?? []).forEach((l, i) => {
    if (!(l.min <= l.max)) error(['limitedTo', i], `min ${l.min} is greater than max ${l.max}`);
  });
  const refs = r.errorTable.map((p) => p.reference);
  // An inverted range is reported on its own; limits cannot be judged against it.
  if (r.range && !(r.range.min <= r.range.max)) return;
  const scope = r.range ?? (refs.length > 0 ? { min: Math.min(...refs), max: Math.max(...refs) } : undefined);
  (r.limitedTo ?? []).forEach((l, i) => {
    if (l.min <= l.max && scope && (l.min < scope.min || l.max > scope.max)) {
      error(
        ['limitedTo', i],
        `${l.min} to ${l.max} is not inside the ${r.range ? 'validity range' : 'calibrated points'} ${scope.min} to ${scope.max}: a limited instrument cannot be used beyond its calibration`,
      );
    }
  });
}

/** Throws the errors as one message (API and engine); returns the warnings. */
export function assertValidRecord(r: CalibrationRecord, ctx: RecordContext = {}): RecordProblem[] {
  const problems = validateRecord(r, ctx);
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((p) => `${formatPath(p.at) || 'record'}: ${p.message}`).join('; '));
  return problems.filter((p) => p.severity === 'warning');
}
