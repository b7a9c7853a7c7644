/**
 * Decimal digits of numbers as written in a config, a posted record or a certificate: a computed
 * error is rounded to the digits of its inputs (50.12 − 50.129 = −0.009, not −0.00900000000001).
 */

/** Digits after the decimal point of x's shortest representation (1.5e-7 → 8, 40 → 0). */
export function decimalsOf(x: number): number {
  const m = /^-?\d+(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(x));
  if (!m) return 0;
  return Math.max(0, (m[1]?.length ?? 0) - Number(m[2] ?? 0));
}

/** a − b rounded to the larger number of decimals of the two, so no float noise is invented. */
export function difference(a: number, b: number): number {
  const d = Math.min(15, Math.max(decimalsOf(a), decimalsOf(b)));
  const x = Number((a - b).toFixed(d));
  return x === 0 ? 0 : x;
}
