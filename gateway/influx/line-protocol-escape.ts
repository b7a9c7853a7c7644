/**
 * InfluxDB 1.x line protocol, one value at a time, by the rules its parser (models/points.go)
 * actually applies; test/integration/line-protocol-roundtrip.test.ts writes random strings to a
 * real InfluxDB and reads them back.
 * - measurement: `,` and space escaped;
 * - tag keys, tag values, field keys: `,`, `=` and space escaped. A backslash cannot be escaped
 *   there (1.x keeps `\\` as two backslashes, and a trailing `\` escapes the separator after
 *   it), and a line ends at a newline whatever precedes it: such a value is refused, never
 *   written differently from what it was. An empty tag value is refused by InfluxDB: the caller
 *   leaves the tag out;
 * - string fields: quoted, `"` and `\` escaped; anything else (newline, CR, NUL) is stored as is;
 * - every field is rendered from its type: floats finite, integers safe, booleans `true`/`false`.
 */
export class LineProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LineProtocolError';
  }
}

/** Characters a tag key or value cannot carry at all. */
const UNREPRESENTABLE_IN_TAG = /[\u0000-\u001f\u007f\\]/;
/** Characters escaped (after a backslash) in tag keys, tag values and field keys. */
const TAG_SPECIAL = /[,= ]/g;
const MEASUREMENT_SPECIAL = /[, ]/g;
const STRING_SPECIAL = /["\\]/g;
const NEEDS_TAG_ESCAPE = /[,= \u0000-\u001f\u007f\\]/;
const NEEDS_STRING_ESCAPE = /["\\]/;

function nameLike(kind: string, s: string, special: RegExp): string {
  if (s === '') throw new LineProtocolError(`${kind} is empty`);
  if (UNREPRESENTABLE_IN_TAG.test(s))
    throw new LineProtocolError(`${kind} ${JSON.stringify(s)} holds a backslash or a control character, which line protocol cannot carry there`);
  return s.replace(special, '\\$&');
}

export function measurementName(s: string): string {
  return nameLike('measurement name', s, MEASUREMENT_SPECIAL);
}

/** A tag key or a field key. */
export function keyName(s: string): string {
  return nameLike('key', s, TAG_SPECIAL);
}

/** A non-empty tag value (the hot path: most values need no escaping at all). */
export function tagValue(key: string, s: string): string {
  if (!NEEDS_TAG_ESCAPE.test(s)) {
    if (s === '') throw new LineProtocolError(`tag ${key} is empty`);
    return s;
  }
  return nameLike(`tag ${key}`, s, TAG_SPECIAL);
}

/** `k=v` pairs, in the given order, leaving out empty values (InfluxDB refuses them). */
export function tagSet(pairs: readonly (readonly [string, string | null | undefined])[]): string {
  let out = '';
  for (const [k, v] of pairs) {
    if (typeof v !== 'string' || v === '') continue;
    out += (out === '' ? '' : ',') + k + '=' + tagValue(k, v);
  }
  return out;
}

export function stringField(s: string): string {
  if (typeof s !== 'string') throw new LineProtocolError(`expected a string, got ${typeof s}`);
  return NEEDS_STRING_ESCAPE.test(s) ? '"' + s.replace(STRING_SPECIAL, '\\$&') + '"' : '"' + s + '"';
}

export function floatField(n: number): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new LineProtocolError(`expected a finite number, got ${String(n)}`);
  return String(n);
}

export function intField(n: number): string {
  if (!Number.isSafeInteger(n)) throw new LineProtocolError(`expected an integer, got ${String(n)}`);
  return n + 'i';
}

export function boolField(b: boolean): string {
  if (b === true) return 'true';
  if (b === false) return 'false';
  throw new LineProtocolError(`expected a boolean, got ${String(b)}`);
}

/**
 * A timestamp in ns from one in ms (the writers post with precision=ns). A point is its
 * measurement, tag set and timestamp: InfluxDB 1.x overwrites a point written again with the
 * same three, so two events of one series in one millisecond need `sub` (0..999999 ns into the
 * ms) to stay two points. A reading's sub is 0: its point is its source timestamp.
 */
export function timestamp(ms: number, sub = 0): string {
  if (!Number.isSafeInteger(ms)) throw new LineProtocolError(`expected a timestamp in ms, got ${String(ms)}`);
  if (sub === 0) return ms === 0 ? '0' : ms + '000000';
  if (!Number.isInteger(sub) || sub < 0 || sub >= NS_PER_MS) throw new LineProtocolError(`expected 0..999999 ns into the ms, got ${String(sub)}`);
  return String(BigInt(ms) * BigInt(NS_PER_MS) + BigInt(sub));
}

export const NS_PER_MS = 1_000_000;
