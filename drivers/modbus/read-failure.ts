/**
 * Why a Modbus read failed, in the words a reading's `reason` carries. Every transport (Modbus TCP,
 * RTU on a serial line, RTU over TCP) reports its failures in these kinds, so the poller that turns
 * them into readings does not care which transport it drives.
 */
export const EXCEPTION_NAMES: Readonly<Record<number, string>> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'slave device failure',
  5: 'acknowledge',
  6: 'slave device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

/** What was wrong with bytes that came back: each kind has its own counter. */
export type GarbageKind = 'crc' | 'wrong-unit' | 'truncated' | 'stale' | 'malformed';

export type ReadFailure =
  | { kind: 'timeout'; reason: string }
  | { kind: 'exception'; code: number; reason: string }
  | { kind: 'disconnected'; reason: string }
  | { kind: 'invalid'; reason: string; garbage?: GarbageKind };

export function exceptionFailure(code: number): ReadFailure {
  return { kind: 'exception', code, reason: `exception:${code} (${EXCEPTION_NAMES[code] ?? 'unknown'})` };
}

export const TIMEOUT: ReadFailure = Object.freeze({ kind: 'timeout', reason: 'timeout' });

/** An Error that carries its classification, thrown by our own transports. */
export class ReadError extends Error {
  override readonly name = 'ReadError';
  constructor(readonly failure: ReadFailure) {
    super(failure.reason);
  }
}

/** Classifies what a transport threw: our ReadError as is, modbus-serial's errors by their fields. */
export function classifyError(err: unknown): ReadFailure {
  if (err instanceof ReadError) return err.failure;
  const e = err as { modbusCode?: number; errno?: string; name?: string; message?: string };
  if (typeof e.modbusCode === 'number') return exceptionFailure(e.modbusCode);
  if (e.errno === 'ETIMEDOUT' || e.name === 'TransactionTimedOutError') return TIMEOUT;
  if (e.errno === 'ECONNREFUSED' || /Port Not Open|ECONNRESET|EPIPE|closed/i.test(e.message ?? '')) {
    return { kind: 'disconnected', reason: `disconnected: ${e.message ?? 'connection lost'}` };
  }
  return { kind: 'invalid', reason: `invalid response: ${e.message ?? String(err)}` };
}
