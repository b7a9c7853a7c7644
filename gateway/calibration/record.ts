/**
 * A calibration record: what one certificate says about one instrument (or one of its channels).
 * Records come from the config, from an imported Digital Calibration Certificate (DCC) or from
 * the API, and are kept with their history: a reading is tagged with the record valid at its
 * own timestamp. All values are in the channel's unit (importers convert).
 */
export interface ErrorTablePoint {
  /** Value of the reference standard. */
  reference: number;
  /** What the instrument indicated. */
  indication: number;
  /** indication − reference; the correction applied is −error. */
  error: number;
  /** Expanded uncertainty of this point, in the channel's unit. */
  U?: number;
  /** Coverage factor of U (commonly 2). */
  k?: number;
  /** Tolerance limits of the error at this point (a DCC's per-point limits); wins over the record's MPE. */
  tolerance?: Limits;
  /** The certificate's own acceptance limits (already guard-banded): a point passes inside them. */
  acceptance?: Limits;
}

/** Lower and upper limit of the error, in the channel's unit (lower ≤ upper). */
export interface Limits {
  lower: number;
  upper: number;
}

/**
 * Maximum permissible error: a constant (±0.5), or a function of the value,
 * ±(constant + proportional·|x|), x being the reference value (the measurand) at a table point and
 * the reading's value for a verified instrument, e.g. IEC 60751 class A: ±(0.15 + 0.002·|t|) °C.
 */
export type Mpe = number | { constant: number; proportional: number };

/**
 * How errors are judged against their limits (ILAC-G8:09/2019). `simple`: pass when the error is
 * inside or on the tolerance limits. `guarded`: pass only inside the acceptance limits, the
 * tolerance limits moved in by the guard band w = r·U of the point (r default 1).
 */
export interface DecisionRule {
  rule: 'simple' | 'guarded';
  r?: number;
}

export interface TraceabilityLink {
  /** The reference standard used, e.g. "SPRT 5187" or "Fluke 5730A". */
  standard: string;
  /** Its own certificate id. */
  certificate: string;
  laboratory?: string;
}

/** 校准 calibration (reports errors) or 检定 verification (legal: pass/fail against MPE). */
export type LegalKind = 'calibration' | 'verification';

/**
 * A certificate's statement of conformity, as written. ILAC-G8's `conditionalPass` (inside the
 * tolerance but within U of it) and `conditionalFail` are kept: the record's decision rule maps them.
 */
export type Conformity = 'pass' | 'fail' | 'conditionalPass' | 'conditionalFail' | 'not_stated';

export interface CalibrationRecord {
  certificate: string;
  instrument: string;
  /** Absent: the record applies to every channel of the instrument. */
  channel?: string;
  kind: LegalKind;
  /** Date of calibration (end of performance), YYYY-MM-DD. */
  calibrated: string;
  /** Date the certificate was issued, YYYY-MM-DD. */
  issued?: string;
  /** Due date, YYYY-MM-DD (derived from an interval where the certificate gives one). */
  due: string;
  laboratory?: string;
  /** The unit of every value below (the channel's unit after conversion). */
  unit: string;
  /** Readings outside [min, max] are not corrected and not traceable. */
  range?: { min: number; max: number };
  /** As left (after any adjustment): the table used to correct readings. Empty: no correction. */
  errorTable: ErrorTablePoint[];
  /** As found (before adjustment), when the certificate reports it. */
  asFound?: ErrorTablePoint[];
  /** Maximum permissible error, for judging as-found and as-left data; a verification's u includes MPE/√3. */
  mpe?: Mpe;
  /** How errors are judged against the MPE or tolerance limits; default simple acceptance. */
  decisionRule?: DecisionRule;
  /** The certificate's statement of conformity of the instrument as left (returned to service). */
  conformity?: Conformity;
  /** Its statement of conformity as found (before any adjustment). */
  asFoundConformity?: Conformity;
  /** Allowed ranges of a 准用 (limited) instrument; readings outside are not traceable. */
  limitedTo?: { min: number; max: number }[];
  /** Resolution of the indication (last digit), for the uncertainty budget. */
  resolution?: number;
  traceability: TraceabilityLink[];
  /** When the status turns due_soon: days before due and/or share of the interval (site default otherwise). */
  dueSoonDays?: number;
  dueSoonShare?: number;
  /** Further standard uncertainty components (GUM type B), in the channel's unit. */
  extraUncertainty?: { name: string; u: number }[];
  source: 'config' | 'dcc' | 'api';
  /** The file a record was imported from, for audit. */
  sourceFile?: string;
  /** How the imported file's signature was verified (DCC imports only). */
  signature?: RecordSignature;
}

/** What the importer found about the certificate file's integrity and who signed it. */
export interface RecordSignature {
  /** verified: chained to the trust store; intact: no trust store configured; unsigned. */
  status: 'verified' | 'intact' | 'unsigned';
  /** Of the file's bytes, so the platform can match the certificate it holds. */
  sha256: string;
  /** The signer certificate's common name and subject, the signing time (ISO 8601). */
  signer?: string;
  subject?: string;
  signingTime?: string;
  /** Common names from the signer to the trust anchor. */
  chain?: string[];
}
