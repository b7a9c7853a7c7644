/**
 * Turns Ajv's errors into one message per problem that a user can act on: Ajv reports a failed
 * union once per branch plus once for the union, and a failed literal twice (type and const);
 * the user should read "expected one of 0, 1 or 2, got 5" once.
 */
import type { ErrorObject } from 'ajv';
import type { PathProblem, PathSegment } from './check-semantics.js';
import { MAX_TIMER_MS } from './common.js';
import { redactUrl } from './redact-url.js';

const SECRET_KEY = /(password|secret|token)$/i;

/** Values under these keys are shown as `***` in every message. */
export function isSecretPath(at: readonly PathSegment[]): boolean {
  const last = at[at.length - 1];
  return typeof last === 'string' && SECRET_KEY.test(last);
}

const UNIONS = new Set(['anyOf', 'oneOf']);
const STRUCTURAL = new Set(['required', 'additionalProperties']);

/** Lower is more telling: "expected one of a, b" beats "expected a string" for the same value. */
function rank(e: ErrorObject): number {
  if (UNIONS.has(e.keyword) || e.keyword === 'const' || e.keyword === 'enum') return 0;
  return e.keyword === 'type' ? 1 : 2;
}

export function ajvProblems(all: readonly ErrorObject[], data: unknown): PathProblem[] {
  // A discriminator's own errors repeat what the enum or required error on `protocol` says.
  const errors = all.filter((e) => e.keyword !== 'discriminator');
  const unions = errors.filter((e) => UNIONS.has(e.keyword)).map((e) => `${e.schemaPath}/`);
  const kept = errors.filter((e) => !unions.some((u) => e.schemaPath.startsWith(u)));
  const bestForValue = new Map<string, ErrorObject>();
  for (const e of kept) {
    if (STRUCTURAL.has(e.keyword)) continue;
    const prev = bestForValue.get(e.instancePath);
    if (!prev || rank(e) < rank(prev)) bestForValue.set(e.instancePath, e);
  }
  const chosen = kept.filter((e) => STRUCTURAL.has(e.keyword) || bestForValue.get(e.instancePath) === e);

  const problems = chosen.map((e) => toProblem(e, segmentsOf(e.instancePath, data)));
  // `hots:` typed for `host:` gives "unknown hots" and "missing host"; the suggestion says both.
  const suggested = new Set(problems.flatMap((p) => (p.suggested ? [`${p.key}\0${p.suggested}`] : [])));
  return problems
    .filter((p) => !(p.missing && suggested.has(`${p.key}\0${p.missing}`)))
    .map(({ at, message, lineAt }) => (lineAt ? { at, message, lineAt } : { at, message }));
}

interface Translated extends PathProblem {
  key: string;
  missing?: string;
  suggested?: string;
}

function toProblem(e: ErrorObject, at: PathSegment[]): Translated {
  const key = e.instancePath;
  const params = e.params as Record<string, unknown>;
  const got = shown(e.data, isSecretPath(at));
  const limit = String(params.limit);
  switch (e.keyword) {
    case 'required': {
      const missing = String(params.missingProperty);
      return { at, key, missing, message: `missing required property "${missing}"` };
    }
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const known = Object.keys((e.parentSchema?.properties as object | undefined) ?? {});
      const near = nearest(name, known);
      const hint = near ? `, did you mean "${near}"?` : ` (known: ${known.join(', ')})`;
      const problem: Translated = { at, key, lineAt: [...at, name], message: `unknown property "${name}"${hint}` };
      return near ? { ...problem, suggested: near } : problem;
    }
    case 'anyOf':
    case 'oneOf':
      return { at, key, message: `expected one of ${orList(branches(e.schema))}, got ${got}` };
    case 'const':
      return { at, key, message: `expected ${literal(params.allowedValue)}, got ${got}` };
    case 'enum':
      return { at, key, message: `expected one of ${orList(asArray(params.allowedValues).map(literal))}, got ${got}` };
    case 'type':
      return { at, key, message: typeMessage(String(params.type), e.data, got) };
    case 'pattern': {
      const description = e.parentSchema?.description;
      const expected = typeof description === 'string' ? description : `text matching /${String(params.pattern)}/`;
      return { at, key, message: `expected ${expected}, got ${got}` };
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { at, key, message: `expected ${COMPARISONS[String(params.comparison)] ?? ''} ${limit}, got ${got}${limitReason(e)}` };
    case 'minLength':
      if (params.limit === 1) return { at, key, message: 'must not be empty' };
      return { at, key, message: `expected at least ${limit} characters, got ${got}` };
    case 'maxLength':
      return { at, key, message: `expected at most ${limit} characters, got ${got}` };
    case 'minItems':
      return { at, key, message: `expected at least ${limit} ${params.limit === 1 ? 'entry' : 'entries'}, got ${count(e.data)}` };
    case 'maxItems':
      return { at, key, message: `expected at most ${limit} entries, got ${count(e.data)}` };
    default:
      return { at, key, message: e.message ?? `fails the schema's ${e.keyword} rule` };
  }
}

/** Why a bound is there, where a user would not guess it. */
function limitReason(e: ErrorObject): string {
  if (e.keyword === 'maximum' && (e.params as { limit?: unknown }).limit === MAX_TIMER_MS) {
    return ' (milliseconds: the longest delay a Node.js timer takes, ~24.8 days; a longer one would fire at once)';
  }
  return '';
}

const COMPARISONS: Readonly<Record<string, string>> = { '>=': '≥', '<=': '≤', '>': '>', '<': '<' };

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  object: 'a mapping (key: value lines)',
  array: 'a list',
  null: 'an empty value',
};

function typeMessage(expected: string, value: unknown, got: string): string {
  const names = expected.split(',').map((t) => TYPE_NAMES[t] ?? t);
  const scalar = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
  const actual = scalar ? `${kindOf(value)} ${got}` : got;
  // YAML reads `password: 123456` or `name: yes` as a number or boolean; quoting keeps the text.
  const quote = expected === 'string' && scalar ? '; put it in quotes' : '';
  return `expected ${orList(names)}, got ${actual}${quote}`;
}

function kindOf(value: unknown): string {
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return 'a number';
  return 'a boolean';
}

/** The offending value as the user wrote it; never the value of a secret. */
function shown(value: unknown, secret: boolean): string {
  if (value === null || value === undefined) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (secret) return '***';
  return typeof value === 'string' ? JSON.stringify(redactUrl(value)) : String(value);
}

function literal(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function branches(schema: unknown): string[] {
  return asArray(schema).map((branch) => {
    const b = branch as Record<string, unknown>;
    if ('const' in b) return literal(b.const);
    return typeof b.description === 'string' ? b.description : (TYPE_NAMES[String(b.type)] ?? 'another form');
  });
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function count(value: unknown): string {
  return Array.isArray(value) && value.length > 0 ? String(value.length) : 'none';
}

function orList(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** JSON pointer → segments; a segment is an index only where the data holds a list. */
function segmentsOf(pointer: string, data: unknown): PathSegment[] {
  const at: PathSegment[] = [];
  let node = data;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      at.push(Number(seg));
      node = node[Number(seg)];
    } else {
      at.push(seg);
      node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[seg] : undefined;
    }
  }
  return at;
}

/** The known name within two edits of a typo, compared case-insensitively. */
function nearest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance && d < candidate.length) [best, bestDistance] = [candidate, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, substitution));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}
