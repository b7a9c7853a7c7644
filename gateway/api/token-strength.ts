/**
 * How much a token resists guessing, estimated honestly from what can be seen: its length times
 * log2 of the smallest usual alphabet its characters come from (hex 16, digits 10, lower-case
 * letters and digits 36, base64 64, printable ASCII 95). This assumes the characters were drawn
 * at random; a token with few distinct characters is not random, so those count instead.
 */
const ALPHABETS: readonly [RegExp, number, string][] = [
  [/^[0-9]+$/, 10, 'digits'],
  [/^[0-9a-f]+$/, 16, 'hex digits'],
  [/^[0-9A-F]+$/, 16, 'hex digits'],
  [/^[a-z]+$/, 26, 'lower-case letters'],
  [/^[0-9a-z]+$/, 36, 'lower-case letters and digits'],
  [/^[A-Za-z]+$/, 52, 'letters'],
  [/^[0-9A-Za-z]+$/, 62, 'letters and digits'],
  [/^[0-9A-Za-z+/=_-]+$/, 64, 'base64 characters'],
  [/^[\x21-\x7e]+$/, 95, 'printable ASCII characters'],
];

export const MIN_TOKEN_BITS = 128;

export interface TokenStrength {
  bits: number;
  /** How the estimate was made, for the message a user reads. */
  basis: string;
}

export function tokenStrength(token: string): TokenStrength {
  const chars = [...token];
  const [, alphabet, name] = ALPHABETS.find(([re]) => re.test(token)) ?? [/./, 256, 'characters beyond ASCII'];
  const distinct = new Set(chars).size;
  const per = Math.log2(Math.min(alphabet, distinct));
  const bits = Math.floor(chars.length * per);
  const basis =
    distinct < alphabet
      ? `${chars.length} characters, only ${distinct} distinct: ${chars.length} × log2(${distinct})`
      : `${chars.length} ${name}: ${chars.length} × log2(${alphabet})`;
  return { bits, basis };
}
