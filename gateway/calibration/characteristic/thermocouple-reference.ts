/**
 * IEC 60584-1 / NIST ITS-90 reference functions of the letter-designated thermocouples (NIST
 * Monograph 175): emf E(t) in mV of a junction at t °C against a reference junction at 0 °C.
 * The inverse is solved numerically on the reference function itself (not the standard's
 * approximate inverse polynomials), so E → t → E round-trips to the function's own precision.
 */

export type ThermocoupleType = 'B' | 'E' | 'J' | 'K' | 'N' | 'R' | 'S' | 'T';

interface Segment {
  /** °C, inclusive. */
  from: number;
  to: number;
  /** c0 (constant) first; E = Σ cᵢ tⁱ in mV. */
  c: readonly number[];
  /** Type K above 0 °C: + a0·exp(a1·(t − a2)²). */
  exp?: readonly [number, number, number];
}

// Coefficients of NIST Monograph 175 (ITS-90), in °C and mV.
const REFERENCE: Readonly<Record<ThermocoupleType, readonly Segment[]>> = {
  B: [
    { from: 0, to: 630.615, c: [0, -0.00024650818346, 5.9040421171e-6, -1.3257931636e-9, 1.5668291901e-12, -1.694452924e-15, 6.2990347094e-19] },
    {
      from: 630.615,
      to: 1820,
      c: [
        -3.8938168621, 0.02857174747, -8.4885104785e-5, 1.5785280164e-7, -1.6835344864e-10, 1.1109794013e-13, -4.4515431033e-17, 9.8975640821e-21,
        -9.3791330289e-25,
      ],
    },
  ],
  E: [
    {
      from: -270,
      to: 0,
      c: [
        0, 0.058665508708, 4.5410977124e-5, -7.7998048686e-7, -2.5800160843e-8, -5.9452583057e-10, -9.3214058667e-12, -1.0287605534e-13, -8.0370123621e-16,
        -4.3979497391e-18, -1.6414776355e-20, -3.9673619516e-23, -5.5827328721e-26, -3.4657842013e-29,
      ],
    },
    {
      from: 0,
      to: 1000,
      c: [
        0, 0.05866550871, 4.5032275582e-5, 2.8908407212e-8, -3.3056896652e-10, 6.502440327e-13, -1.9197495504e-16, -1.2536600497e-18, 2.1489217569e-21,
        -1.4388041782e-24, 3.5960899481e-28,
      ],
    },
  ],
  J: [
    {
      from: -210,
      to: 760,
      c: [0, 0.050381187815, 3.047583693e-5, -8.568106572e-8, 1.3228195295e-10, -1.7052958337e-13, 2.0948090697e-16, -1.2538395336e-19, 1.5631725697e-23],
    },
    { from: 760, to: 1200, c: [296.45625681, -1.4976127786, 0.0031787103924, -3.1847686701e-6, 1.5720819004e-9, -3.0691369056e-13] },
  ],
  K: [
    {
      from: -270,
      to: 0,
      c: [
        0, 0.039450128025, 2.3622373598e-5, -3.2858906784e-7, -4.9904828777e-9, -6.7509059173e-11, -5.7410327428e-13, -3.1088872894e-15, -1.0451609365e-17,
        -1.9889266878e-20, -1.6322697486e-23,
      ],
    },
    {
      from: 0,
      to: 1372,
      c: [
        -0.017600413686, 0.038921204975, 1.8558770032e-5, -9.9457592874e-8, 3.1840945719e-10, -5.6072844889e-13, 5.6075059059e-16, -3.2020720003e-19,
        9.7151147152e-23, -1.2104721275e-26,
      ],
      exp: [0.1185976, -0.0001183432, 126.9686],
    },
  ],
  N: [
    {
      from: -270,
      to: 0,
      c: [0, 0.026159105962, 1.0957484228e-5, -9.3841111554e-8, -4.6412039759e-11, -2.6303357716e-12, -2.2653438003e-14, -7.6089300791e-17, -9.3419667835e-20],
    },
    {
      from: 0,
      to: 1300,
      c: [
        0, 0.025929394601, 1.571014188e-5, 4.3825627237e-8, -2.5261169794e-10, 6.4311819339e-13, -1.0063471519e-15, 9.9745338992e-19, -6.0863245607e-22,
        2.0849229339e-25, -3.0682196151e-29,
      ],
    },
  ],
  R: [
    {
      from: -50,
      to: 1064.18,
      c: [
        0, 0.00528961729765, 1.39166589782e-5, -2.38855693017e-8, 3.56916001063e-11, -4.62347666298e-14, 5.00777441034e-17, -3.73105886191e-20,
        1.57716482367e-23, -2.81038625251e-27,
      ],
    },
    { from: 1064.18, to: 1664.5, c: [2.95157925316, -0.00252061251332, 1.59564501865e-5, -7.64085947576e-9, 2.05305291024e-12, -2.93359668173e-16] },
    { from: 1664.5, to: 1768.1, c: [152.232118209, -0.268819888545, 0.000171280280471, -3.45895706453e-8, -9.34633971046e-15] },
  ],
  S: [
    {
      from: -50,
      to: 1064.18,
      c: [
        0, 0.00540313308631, 1.2593428974e-5, -2.32477968689e-8, 3.22028823036e-11, -3.31465196389e-14, 2.55744251786e-17, -1.25068871393e-20,
        2.71443176145e-24,
      ],
    },
    { from: 1064.18, to: 1664.5, c: [1.32900444085, 0.00334509311344, 6.54805192818e-6, -1.64856259209e-9, 1.29989605174e-14] },
    { from: 1664.5, to: 1768.1, c: [146.628232636, -0.258430516752, 0.000163693574641, -3.30439046987e-8, -9.43223690612e-15] },
  ],
  T: [
    {
      from: -270,
      to: 0,
      c: [
        0, 0.038748106364, 4.4194434347e-5, 1.1844323105e-7, 2.0032973554e-8, 9.0138019559e-10, 2.2651156593e-11, 3.6071154205e-13, 3.8493939883e-15,
        2.8213521925e-17, 1.4251594779e-19, 4.8768662286e-22, 1.079553927e-24, 1.3945027062e-27, 7.9795153927e-31,
      ],
    },
    {
      from: 0,
      to: 400,
      c: [0, 0.038748106364, 3.329222788e-5, 2.0618243404e-7, -2.1882256846e-9, 1.0996880928e-11, -3.0815758772e-14, 4.547913529e-17, -2.7512901673e-20],
    },
  ],
};

export const THERMOCOUPLE_TYPES = Object.keys(REFERENCE) as ThermocoupleType[];

export function thermocoupleRange(type: ThermocoupleType): { min: number; max: number } {
  const segs = REFERENCE[type];
  return { min: segs[0]!.from, max: segs[segs.length - 1]!.to };
}

function segmentAt(type: ThermocoupleType, t: number): Segment {
  const segs = REFERENCE[type];
  const seg = segs.find((s) => t >= s.from && t <= s.to);
  if (!seg) {
    const { min, max } = thermocoupleRange(type);
    throw new RangeError(`type ${type} thermocouple: ${t} °C is outside its reference function (${min} to ${max} °C)`);
  }
  return seg;
}

/** E(t) in mV. */
export function thermocoupleEmf(type: ThermocoupleType, t: number): number {
  const seg = segmentAt(type, t);
  let e = 0;
  for (let i = seg.c.length - 1; i >= 0; i--) e = e * t + seg.c[i]!;
  if (seg.exp) e += seg.exp[0] * Math.exp(seg.exp[1] * (t - seg.exp[2]) ** 2);
  return e;
}

/** dE/dt in mV/°C (the Seebeck coefficient of the pair). */
export function thermocoupleSeebeck(type: ThermocoupleType, t: number): number {
  const seg = segmentAt(type, t);
  let d = 0;
  for (let i = seg.c.length - 1; i >= 1; i--) d = d * t + i * seg.c[i]!;
  if (seg.exp) d += seg.exp[0] * Math.exp(seg.exp[1] * (t - seg.exp[2]) ** 2) * 2 * seg.exp[1] * (t - seg.exp[2]);
  return d;
}

/**
 * t in °C for an emf E in mV: bisection to bracket, Newton to finish. Type B is not monotonic
 * below ~42 °C (its emf is ambiguous there), so its inverse is defined from 50 °C up, as in
 * IEC 60584.
 */
export function thermocoupleTemperature(type: ThermocoupleType, emf: number): number {
  const range = thermocoupleRange(type);
  let { min: lo, max: hi } = range;
  if (type === 'B') lo = 50;
  const eLo = thermocoupleEmf(type, lo);
  const eHi = thermocoupleEmf(type, hi);
  if (!(emf >= eLo && emf <= eHi)) throw new RangeError(`type ${type} thermocouple: ${emf} mV is outside ${eLo.toFixed(3)} to ${eHi.toFixed(3)} mV`);
  for (let i = 0; i < 60 && hi - lo > 1e-3; i++) {
    const mid = (lo + hi) / 2;
    if (thermocoupleEmf(type, mid) < emf) lo = mid;
    else hi = mid;
  }
  let t = (lo + hi) / 2;
  for (let i = 0; i < 8; i++) {
    const step = (thermocoupleEmf(type, t) - emf) / thermocoupleSeebeck(type, t);
    // At the ends of the range a step may round past them.
    t = Math.min(range.max, Math.max(range.min, t - step));
    if (Math.abs(step) < 1e-10) break;
  }
  return t;
}
