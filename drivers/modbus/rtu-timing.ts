/**
 * Time on a serial line. A character is a start bit, the data bits, the parity bit (if any) and
 * the stop bits; frames must be separated by 3.5 character times of silence, and above 19200
 * baud the spec fixes that gap at 1.75 ms (Modbus over Serial Line v1.02, 2.5.1.1).
 */
import type { Parity } from './config.js';

export interface CharFormat {
  baudRate: number;
  parity: Parity;
  dataBits: number;
  stopBits: number;
}

export interface LineTiming {
  /** ms per character on the wire; 0 when the gateway does not know the line's speed. */
  charMs: number;
  /** Silence required between two frames, ms. */
  gapMs: number;
}

export function bitsPerChar(f: CharFormat): number {
  return 1 + f.dataBits + (f.parity === 'none' ? 0 : 1) + f.stopBits;
}

export function lineTiming(f: CharFormat): LineTiming {
  const charMs = (bitsPerChar(f) * 1000) / f.baudRate;
  return { charMs, gapMs: f.baudRate > 19200 ? 1.75 : 3.5 * charMs };
}

/** RTU over TCP whose serial side is unknown: the converter keeps the serial timing. */
export const UNTIMED: LineTiming = Object.freeze({ charMs: 0, gapMs: 0 });
