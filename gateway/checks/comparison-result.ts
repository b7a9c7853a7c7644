/**
 * A participant's result for one point of an inter-laboratory comparison (计量比对), made from the
 * laboratory's own stored readings of the artefact: the typed message metrogate sends to the
 * metrology platform (gateway/schemas/comparison-result.schema.json), and what
 * `metrogate comparison evaluate --results` merges into the coordinator's file.
 */
import { Type, type Static } from '@sinclair/typebox';

/** ISO 8601 UTC time as Date.toISOString() writes it (ajv has no formats here). */
const IsoTime = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$' });
const Id = Type.String({ minLength: 1, pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$' });

export const ComparisonResultSchema = Type.Object(
  {
    v: Type.Literal(1),
    comparison: Id,
    artefact: Type.String({ minLength: 1 }),
    /** The participant: the laboratory's name as the coordinator knows it. */
    lab: Type.String({ minLength: 1 }),
    site: Type.String({ minLength: 1 }),
    gateway: Type.String({ minLength: 1 }),
    instrument: Type.String({ minLength: 1 }),
    channel: Type.String({ minLength: 1 }),
    quantity: Type.String({ minLength: 1 }),
    unit: Type.String(),
    nominal: Type.Number(),
    /** Mean of the readings taken. */
    value: Type.Number(),
    /** Expanded uncertainty U = k·u of the mean. */
    U: Type.Number({ exclusiveMinimum: 0 }),
    k: Type.Number({ exclusiveMinimum: 0 }),
    /** The budget of u: calibration (the readings' own u, fully correlated: not reduced by n), repeatability s/√n. */
    u: Type.Object(
      { calibration: Type.Number({ minimum: 0 }), repeatability: Type.Number({ minimum: 0 }), combined: Type.Number({ exclusiveMinimum: 0 }) },
      { additionalProperties: false },
    ),
    n: Type.Integer({ minimum: 2 }),
    /** Experimental standard deviation of the readings. */
    s: Type.Number({ minimum: 0 }),
    /** The window the readings were taken in, ISO 8601. */
    from: IsoTime,
    to: IsoTime,
    /** The certificates the readings were traceable to (one, unless a record changed in the window). */
    certificates: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    /** Readings in the window left out: quality not good, or not traceable. */
    excluded: Type.Object({ notGood: Type.Integer({ minimum: 0 }), notTraceable: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
    recordedAt: IsoTime,
  },
  { additionalProperties: false },
);

export type ComparisonResult = Static<typeof ComparisonResultSchema>;

/** One stored reading as the result is made from it. */
export interface WindowReading {
  value: number | null;
  u: number | null;
  quality: string;
  traceable: boolean;
  certificate: string | null;
}

export interface ResultIdentity {
  comparison: string;
  artefact: string;
  lab: string;
  site: string;
  gateway: string;
  instrument: string;
  channel: string;
  quantity: string;
  unit: string;
  nominal: number;
  from: Date;
  to: Date;
}

/** Why no result can be made: the operator must measure again or fix the instrument's record. */
export class NoResultError extends Error {}

const COVERAGE_K = 2;

/**
 * The mean of the good, traceable readings with its uncertainty. A reading that is not traceable
 * (expired, out of tolerance, outside the calibrated range, no u) carries no traceable value and is
 * left out and counted, never averaged in: a comparison result claims traceability.
 * u_cal is the mean of the readings' own u: the calibration component is the same systematic
 * effect for every reading, so averaging n readings does not reduce it; repeatability s/√n does.
 */
export function resultFromReadings(id: ResultIdentity, readings: readonly WindowReading[], now = new Date()): ComparisonResult {
  let notGood = 0;
  let notTraceable = 0;
  const used: { value: number; u: number; certificate: string }[] = [];
  for (const r of readings) {
    if (r.quality !== 'good' || r.value === null || !Number.isFinite(r.value)) notGood++;
    else if (!r.traceable || r.u === null || !Number.isFinite(r.u) || r.certificate === null) notTraceable++;
    else used.push({ value: r.value, u: r.u, certificate: r.certificate });
  }
  const window = `${id.instrument}/${id.channel} from ${id.from.toISOString()} to ${id.to.toISOString()}`;
  if (used.length < 2) {
    throw new NoResultError(
      `${window}: ${used.length} good traceable readings (need at least 2; ${readings.length} stored, ${notGood} not good, ${notTraceable} not traceable)`,
    );
  }
  const n = used.length;
  const mean = used.reduce((a, r) => a + r.value, 0) / n;
  const s = Math.sqrt(used.reduce((a, r) => a + (r.value - mean) ** 2, 0) / (n - 1));
  const uCal = used.reduce((a, r) => a + r.u, 0) / n;
  const uRep = s / Math.sqrt(n);
  const combined = Math.hypot(uCal, uRep);
  if (!(combined > 0)) throw new NoResultError(`${window}: the combined uncertainty is 0 (readings carry u = 0 and do not vary)`);
  return {
    v: 1,
    comparison: id.comparison,
    artefact: id.artefact,
    lab: id.lab,
    site: id.site,
    gateway: id.gateway,
    instrument: id.instrument,
    channel: id.channel,
    quantity: id.quantity,
    unit: id.unit,
    nominal: id.nominal,
    value: mean,
    U: COVERAGE_K * combined,
    k: COVERAGE_K,
    u: { calibration: uCal, repeatability: uRep, combined },
    n,
    s,
    from: id.from.toISOString(),
    to: id.to.toISOString(),
    certificates: [...new Set(used.map((r) => r.certificate))],
    excluded: { notGood, notTraceable },
    recordedAt: now.toISOString(),
  };
}
