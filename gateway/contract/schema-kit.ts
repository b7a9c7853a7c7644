/**
 * Building blocks for the contract's schemas (TypeBox: one definition gives the TypeScript type,
 * the validator and the published JSON Schema) and the writer of the published documents.
 *
 * A schema used in several places is a *definition* (`def`): in a published document it appears
 * once under `$defs` and is referenced, as the hand-written documents did, so a reader sees one
 * `id`, one `cal`. In TypeScript the very same object is used inline, so types and validation
 * need no reference resolution.
 */
import { Type, type TSchema, type TUnsafe } from '@sinclair/typebox';

const DEF = Symbol('contract.def');
const REF = Symbol('contract.ref');
const DOC = Symbol('contract.document');

interface Marked {
  [DEF]?: string;
  [REF]?: { name: string; target: TSchema; extra: Record<string, unknown> };
  [DOC]?: string;
}

/** Marks `schema` as the definition `name` (under `$defs` in every document that uses it). */
export function def<T extends TSchema>(name: string, schema: T): T {
  (schema as T & Marked)[DEF] = name;
  return schema;
}

/** A reference to a definition with its own `description` (or other annotations) beside it. */
export function ref<T extends TSchema>(target: T, extra: Record<string, unknown>): T {
  const name = (target as T & Marked)[DEF];
  if (name === undefined) throw new Error('ref() needs a schema made with def()');
  return { ...target, ...extra, [REF]: { name, target, extra } } as T;
}

/** JSON's `type: [t, "null"]`: a value of type `t` or null. */
export function nullable<T>(type: 'string' | 'integer' | 'number', options: Record<string, unknown> = {}): TUnsafe<T | null> {
  return Type.Unsafe<T | null>({ type: [type, 'null'], ...options });
}

/** An `enum` of strings, typed as their union. */
export function oneOf<const T extends readonly string[]>(values: T, options: Record<string, unknown> = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ enum: [...values], ...options });
}

/**
 * The payload version `v`. Typed as a number (not the literal) so that code building a message
 * from a version constant needs no cast; the schema still takes exactly this value.
 */
export function version(v: number, options: Record<string, unknown> = {}): TUnsafe<number> {
  return Type.Unsafe<number>({ const: v, ...options });
}

export interface ContractDocument {
  /** File name under gateway/schemas/. */
  file: string;
  /** The `$id`'s last part, e.g. `reading-batch.v1.json`; other documents refer to it by this. */
  id: string;
  title: string;
  description: string;
  schema: TSchema;
}

/** Registers `doc.schema` as a document's root, so another document refers to it by `$id`. */
export function document(doc: ContractDocument): ContractDocument {
  (doc.schema as TSchema & Marked)[DOC] = doc.id;
  return doc;
}

const ID_BASE = 'https://metrogate.dev/schemas/';

/** Keys first in this order (then the rest as written), so the documents read top-down. */
const KEY_ORDER = ['$ref', 'type', 'const', 'enum', 'required', 'additionalProperties', 'properties'];

function ordered(o: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(o).sort((a, b) => rank(a) - rank(b));
  return Object.fromEntries(keys.map((k) => [k, o[k]]));
}
const rank = (k: string) => (KEY_ORDER.includes(k) ? KEY_ORDER.indexOf(k) : k === '$defs' ? 1001 : k === 'description' ? 1000 : KEY_ORDER.length);

/** The published JSON Schema (draft 2020-12) of one document. */
export function publishedSchema(doc: ContractDocument): Record<string, unknown> {
  const defs = new Map<string, unknown>();
  const root = emit(doc.schema, doc.id, defs, true) as Record<string, unknown>;
  const head = { $schema: 'https://json-schema.org/draft/2020-12/schema', $id: ID_BASE + doc.id, title: doc.title, description: doc.description };
  const out: Record<string, unknown> = { ...head, ...root };
  if (defs.size > 0) out.$defs = Object.fromEntries([...defs].sort(([a], [b]) => a.localeCompare(b)));
  return out;
}

export function publishedText(doc: ContractDocument): string {
  return `${pretty(publishedSchema(doc), '')}\n`;
}

/** JSON.stringify's two-space layout, but a list of plain values (`required`, `enum`, `type`) on one line. */
function pretty(value: unknown, indent: string): string {
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v !== 'object' || v === null)) return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
    return `[\n${value.map((v) => inner + pretty(v, inner)).join(',\n')}\n${indent}]`;
  }
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  const entries = Object.entries(value);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${pretty(v, inner)}`).join(',\n')}\n${indent}}`;
}

function emit(node: unknown, docId: string, defs: Map<string, unknown>, isRoot = false): unknown {
  if (Array.isArray(node)) return node.map((n) => emit(n, docId, defs));
  if (typeof node !== 'object' || node === null) return node;
  const m = node as Marked & Record<string, unknown>;
  if (!isRoot && m[DOC] !== undefined) return { $ref: m[DOC] };
  const reference = m[REF];
  if (reference) {
    define(reference.name, reference.target, docId, defs);
    return ordered({ $ref: `#/$defs/${reference.name}`, ...reference.extra });
  }
  if (!isRoot && m[DEF] !== undefined) {
    define(m[DEF], node, docId, defs);
    return { $ref: `#/$defs/${m[DEF]}` };
  }
  const out: Record<string, unknown> = {};
  // TypeBox's own markers are symbols, which Object.entries leaves out.
  for (const [key, value] of Object.entries(m)) out[key] = emit(value, docId, defs);
  return ordered(out);
}

function define(name: string, target: unknown, docId: string, defs: Map<string, unknown>): void {
  if (defs.has(name)) return;
  defs.set(name, null); // reserved first: a definition may refer to itself
  defs.set(name, emit(target, docId, defs, true));
}
