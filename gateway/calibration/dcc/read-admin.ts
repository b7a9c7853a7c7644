/**
 * The administrative part of a DCC: who calibrated what and when, the statements (recalibration,
 * validity range, conformity) and the measuring equipment used (the traceability chain).
 */
import type { Conformity, TraceabilityLink } from '../record.js';
import { DccError } from './dcc-error.js';
import { conformityOf } from './read-tables.js';
import { readSingle } from './si-values.js';
import type { Unit } from './units.js';
import { childOf, childrenOf, DCC_NS, dccPath, descendantsOf, hasRefType, textBlock, type XmlElement } from './xml-tree.js';

export interface DccItem {
  name?: string;
  manufacturer?: string;
  model?: string;
  /** `manufacturer: 123456789 Ma`, `customer: 123456789 Hu`, … */
  identifications: { issuer: string; value: string; name?: string }[];
}

export interface Recalibration {
  date?: string;
  /** xs:duration as written, e.g. P1Y or P12M. */
  period?: string;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(Z|[+-]\d{2}:\d{2})?$/;

/** A real calendar date (time zone suffixes dropped: calibration dates are calendar days). */
export function readDate(el: XmlElement): string {
  const m = ISO_DATE.exec(el.text);
  const [y, mo, d] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (!m || date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) {
    throw new DccError(el.path, `"${el.text}" is not a date (YYYY-MM-DD)`);
  }
  return el.text.slice(0, 10);
}

export function requiredDate(parent: XmlElement, local: string, what: string): string {
  const el = childOf(parent, DCC_NS, local);
  if (!el) {
    const colon = parent.name.indexOf(':');
    throw new DccError(`${parent.path}/${parent.name.slice(0, colon + 1)}${local}`, `missing: ${what} is required`);
  }
  return readDate(el);
}

export function optionalDate(parent: XmlElement | undefined, local: string): string | undefined {
  const el = parent && childOf(parent, DCC_NS, local);
  return el ? readDate(el) : undefined;
}

function identifications(parent: XmlElement | undefined): DccItem['identifications'] {
  const list = dccPath(parent, 'identifications');
  if (!list) return [];
  return childrenOf(list, DCC_NS, 'identification').map((id) => {
    const name = textBlock(childOf(id, DCC_NS, 'name'));
    return {
      issuer: childOf(id, DCC_NS, 'issuer')?.text ?? 'other',
      value: childOf(id, DCC_NS, 'value')?.text ?? '',
      ...(name !== undefined && { name }),
    };
  });
}

export function readItems(admin: XmlElement): DccItem[] {
  const items = dccPath(admin, 'items');
  if (!items) return [];
  return childrenOf(items, DCC_NS, 'item').map((item) => {
    const out: DccItem = { identifications: identifications(item) };
    const name = textBlock(childOf(item, DCC_NS, 'name'));
    const manufacturer = textBlock(dccPath(item, 'manufacturer', 'name'));
    const model = childOf(item, DCC_NS, 'model')?.text;
    if (name) out.name = name;
    if (manufacturer) out.manufacturer = manufacturer;
    if (model) out.model = model;
    return out;
  });
}

/** The laboratory's name, with its accreditation code when the DCC gives one. */
export function readLaboratory(admin: XmlElement): string | undefined {
  const lab = dccPath(admin, 'calibrationLaboratory');
  const name = textBlock(dccPath(lab, 'contact', 'name'));
  const code = dccPath(lab, 'calibrationLaboratoryCode')?.text;
  if (name && code) return `${name} (${code})`;
  return name ?? code;
}

function statements(admin: XmlElement, refType: string): XmlElement[] {
  const set = new Set([refType]);
  const list = dccPath(admin, 'statements');
  return list ? childrenOf(list, DCC_NS, 'statement').filter((s) => hasRefType(s, set)) : [];
}

export function readRecalibration(admin: XmlElement): Recalibration | undefined {
  for (const s of statements(admin, 'basic_recalibration')) {
    const date = optionalDate(s, 'date');
    const period = childOf(s, DCC_NS, 'period')?.text;
    if (date || period) return { ...(date && { date }), ...(period && { period }) };
  }
  return undefined;
}

export function readStatementConformity(admin: XmlElement): Conformity | undefined {
  for (const s of statements(admin, 'basic_conformity')) {
    const text = childOf(s, DCC_NS, 'conformity')?.text;
    if (text) return conformityOf([text]);
  }
  return undefined;
}

/**
 * The validity range in `unit`. A DCC may state ranges of several quantities (a hygrometer's
 * humidity and temperature); the one that converts to the channel's unit applies.
 */
export function readValidityRange(root: XmlElement, unit: Unit): { min: number; max: number; path: string } | undefined {
  for (const s of descendantsOf(root, DCC_NS, 'statement').filter((st) => hasRefType(st, new Set(['basic_validityRange'])))) {
    const quantities = descendantsOf(s, DCC_NS, 'quantity');
    const minQ = quantities.find((q) => hasRefType(q, new Set(['basic_validityRangeMin'])));
    const maxQ = quantities.find((q) => hasRefType(q, new Set(['basic_validityRangeMax'])));
    if (!minQ || !maxQ) continue;
    let min: number;
    let max: number;
    try {
      min = readSingle(minQ, unit, 'absolute');
      max = readSingle(maxQ, unit, 'absolute');
    } catch (err) {
      if (err instanceof DccError && /cannot convert/.test(err.reason)) continue;
      throw err;
    }
    if (!(min < max)) throw new DccError(s.path, `validity range minimum ${min} is not below its maximum ${max}`);
    return { min, max, path: s.path };
  }
  return undefined;
}

const RESOLUTION = new Set(['basic_measurementRangeScaleInterval', 'basic_resolution']);

/** The indication's resolution (scale interval), when the DCC states one in the channel's unit. */
export function readResolution(root: XmlElement, unit: Unit): number | undefined {
  for (const q of descendantsOf(root, DCC_NS, 'quantity')) {
    const owner = q.parent?.parent;
    if (!hasRefType(q, RESOLUTION) && !(owner && owner.local === 'influenceCondition' && hasRefType(owner, RESOLUTION))) continue;
    try {
      return readSingle(q, unit, 'difference');
    } catch (err) {
      if (err instanceof DccError && /cannot convert/.test(err.reason)) continue;
      throw err;
    }
  }
  return undefined;
}

/** The measuring equipment used, each with its own certificate id ('' when the DCC names none). */
export function readTraceability(root: XmlElement): TraceabilityLink[] {
  return descendantsOf(root, DCC_NS, 'measuringEquipment').map((eq) => {
    const name = textBlock(childOf(eq, DCC_NS, 'name')) ?? 'unnamed equipment';
    const ids = identifications(eq).map((id) => `${id.issuer}: ${id.value}`);
    const model = childOf(eq, DCC_NS, 'model')?.text;
    const standard = [name, model && `model ${model}`, ...ids].filter(Boolean).join(', ');
    const certificate = dccPath(eq, 'certificate', 'referralID')?.text ?? '';
    return { standard, certificate };
  });
}
