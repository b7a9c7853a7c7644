/**
 * Reads a PTB Digital Calibration Certificate (schema 3.x) into what a calibration record needs,
 * every value in one unit: the channel's when the caller names it, else the certificate's own.
 * Throws DccError (with the element path) for anything the record cannot do without; never returns
 * half a certificate.
 */
import type { Conformity, TraceabilityLink } from '../record.js';
import { DccError } from './dcc-error.js';
import { safeName } from '../record-store.js';
import {
  optionalDate,
  readItems,
  readLaboratory,
  readRecalibration,
  readResolution,
  readStatementConformity,
  readTraceability,
  readValidityRange,
  requiredDate,
  type DccItem,
  type Recalibration,
} from './read-admin.js';
import { findTables, readTable, type DccTable, type SensorOptions, type TableCandidate } from './read-tables.js';
import { firstUnit, readReps, readValues } from './si-values.js';
import { canConvert, dsiSymbol, parseSymbolUnit, type Unit } from './units.js';
import { childOf, DCC_NS, dccPath, parseXml, textBlock, type XmlElement } from './xml-tree.js';

export interface ParsedDcc {
  schemaVersion?: string;
  certificate: string;
  laboratory?: string;
  customer?: string;
  items: DccItem[];
  /** Begin and end of performance; `end` is the calibration date. */
  performance: { begin?: string; end: string };
  issued?: string;
  recalibration?: Recalibration;
  /** The unit of every value below. */
  unit: string;
  range?: { min: number; max: number };
  asLeft: DccTable;
  asFound?: DccTable;
  /** Of the instrument as left: the as-left table's statement, else the certificate's statement. */
  conformity: Conformity;
  /** The as-found table's statement, when it has one. */
  asFoundConformity?: Conformity;
  mpe?: number;
  /** What could be read only in part: points without U, quantities identified by id only. */
  warnings: string[];
  resolution?: number;
  traceability: TraceabilityLink[];
}

export interface ParseOptions extends SensorOptions {
  /** The channel's unit symbol (`°C`, `kPa`, `%RH`); values are converted into it. */
  unit?: string;
}

function child(parent: XmlElement, local: string): XmlElement {
  const el = childOf(parent, DCC_NS, local);
  if (!el) {
    const colon = parent.name.indexOf(':');
    throw new DccError(`${parent.path}/${parent.name.slice(0, colon + 1)}${local}`, 'missing');
  }
  return el;
}

/**
 * The id names the record's file (record-store's safeName: letters, digits, "_", "-" and "."
 * stay, other bytes become %XX); with the channel and a temporary suffix it must fit the 255
 * bytes a file name may have.
 */
const MAX_ID_AS_FILE_NAME = 150;

function checkCertificateLength(certificate: string, path: string): void {
  let asFileName: string;
  try {
    asFileName = String(safeName(certificate).length);
  } catch {
    asFileName = 'more than 200'; // safeName's own bound
  }
  if (!(Number(asFileName) <= MAX_ID_AS_FILE_NAME)) {
    throw new DccError(
      path,
      `certificate id too long: ${certificate.length} characters, ${asFileName} as a file name (at most ${MAX_ID_AS_FILE_NAME}; letters, digits, "_", "-" and "." count 1, other bytes 3)`,
    );
  }
}

function checkRoot(root: XmlElement): void {
  const expected = `the DCC root dcc:digitalCalibrationCertificate (namespace ${DCC_NS})`;
  if (root.local !== 'digitalCalibrationCertificate') throw new DccError(root.path, `not a DCC: root element <${root.name}>, expected ${expected}`);
  if (root.ns !== DCC_NS) throw new DccError(root.path, `not a DCC: namespace "${root.ns}", expected ${expected}`);
  const version = root.attrs['schemaVersion'];
  if (version !== undefined && !/^3\./.test(version)) throw new DccError(root.path, `schemaVersion ${version} is not supported (3.x is)`);
}

function targetUnit(unit: string | undefined, tables: readonly TableCandidate[]): Unit {
  if (unit !== undefined) {
    try {
      return parseSymbolUnit(unit);
    } catch (err) {
      throw new DccError('', `channel unit "${unit}": ${(err as Error).message}`);
    }
  }
  const first = tables.find((t) => t.state === 'as-left') ?? tables[0]!;
  const own = firstUnit(first.reference)!;
  try {
    return parseSymbolUnit(dsiSymbol(own.text)); // records store symbols (`K`), as the config does
  } catch {
    return own;
  }
}

function pickOne(candidates: TableCandidate[], state: string, unit: Unit): TableCandidate | undefined {
  if (candidates.length > 1) {
    const paths = candidates.map((c) => `  ${c.container.path}`).join('\n');
    throw new DccError('', `${candidates.length} ${state} error tables convert to ${unit.text}; one per channel is supported:\n${paths}`);
  }
  return candidates[0];
}

export function parseDcc(text: string, opts: ParseOptions = {}): ParsedDcc {
  const root = parseXml(text);
  checkRoot(root);
  const admin = child(root, 'administrativeData');
  const core = child(admin, 'coreData');
  const certificate = child(core, 'uniqueIdentifier').text;
  if (certificate === '') throw new DccError(child(core, 'uniqueIdentifier').path, 'empty certificate id');
  checkCertificateLength(certificate, child(core, 'uniqueIdentifier').path);
  const end = requiredDate(core, 'endPerformanceDate', 'the calibration date (end of performance)');

  const tables = findTables(root);
  if (tables.length === 0) {
    const results = dccPath(root, 'measurementResults')?.path ?? root.path;
    throw new DccError(results, 'no usable error table: no dcc:list holding a basic_referenceValue with a basic_measuredValue or basic_measurementError');
  }
  const unit = targetUnit(opts.unit, tables);
  const matching = tables.filter((t) => readReps(t.reference).some((r) => canConvert(r.unit, unit)));
  if (matching.length === 0) readValues(tables[0]!.reference, unit, 'absolute'); // throws, naming the element and its unit
  const asLeftC = pickOne(
    matching.filter((t) => t.state === 'as-left'),
    'as-left',
    unit,
  );
  const asFoundC = pickOne(
    matching.filter((t) => t.state === 'as-found'),
    'as-found',
    unit,
  );
  if (!asLeftC) throw new DccError(asFoundC!.container.path, 'only as-found (before adjustment) data: no as-left error table to correct readings with');

  const sensorOpts: SensorOptions = {
    ...(opts.characteristic && { characteristic: opts.characteristic }),
    ...(opts.sensorTableOnly && { sensorTableOnly: true }),
  };
  const asLeft = readTable(asLeftC, unit, sensorOpts);
  const asFound = asFoundC && readTable(asFoundC, unit, sensorOpts);
  const out: ParsedDcc = {
    certificate,
    items: readItems(admin),
    performance: { end },
    unit: opts.unit ?? unit.text,
    asLeft,
    conformity: asLeft.conformity ?? readStatementConformity(admin) ?? 'not_stated',
    traceability: readTraceability(root),
    warnings: [...asLeft.warnings, ...(asFound?.warnings.filter((w) => !/states no uncertainty/.test(w)) ?? [])],
  };
  const begin = optionalDate(core, 'beginPerformanceDate');
  if (begin) out.performance.begin = begin;
  const optional = {
    schemaVersion: root.attrs['schemaVersion'],
    laboratory: readLaboratory(admin),
    customer: textBlock(dccPath(admin, 'customer', 'name')),
    issued: optionalDate(core, 'issueDate'),
    recalibration: readRecalibration(admin),
    asFound,
    asFoundConformity: asFound?.conformity,
    mpe: asLeft.mpe ?? asFound?.mpe,
    resolution: readResolution(root, unit),
  };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) Object.assign(out, { [key]: value });
  const range = readValidityRange(root, unit);
  if (range) out.range = { min: range.min, max: range.max };
  return out;
}
