/**
 * The messages of end-to-end completeness (gateway/schemas/gateway-seqs.schema.json and
 * resend-request.schema.json): a gateway's last accepted seq per instrument, a request to re-send
 * a seq range, and the gateway's answer. Parsers return a problem string instead of throwing:
 * whatever arrives on a topic is untrusted.
 */
export const REPAIR_MESSAGE_VERSION = 1;

/** Retained on `<prefix>/<site>/<gateway>/seqs`: what the gateway's spool accepted, per instrument. */
export interface LastSeqs {
  v: 1;
  site: string;
  gateway: string;
  epoch: string;
  /** When the gateway read these from its spool, ms since epoch. */
  ts: number;
  /** Highest seq the spool accepted (on disk), per instrument: seqs 1..n exist for each. */
  lastSeq: Record<string, number>;
}

/** On `<prefix>/<site>/<gateway>/control/resend`: re-publish seqs from..to of one instrument. */
export interface ResendRequest {
  v: 1;
  instrument: string;
  epoch: string;
  from: number;
  to: number;
  /** Who asks and which request this is (echoed in the answer). */
  requestId: string;
}

/** On `<prefix>/<site>/<gateway>/control/resent` (or the request's MQTT 5 response topic). */
export interface ResendResult {
  v: 1;
  site: string;
  gateway: string;
  requestId: string;
  instrument: string;
  epoch: string;
  from: number;
  to: number;
  /** Readings published again. */
  resent: number;
  /** Seq ranges the spool no longer holds (removed after retention or by the quota): lost for good. */
  unavailable: [number, number][];
  /** Why nothing was sent (wrong epoch, duplicate, busy), absent when the range was served. */
  refused?: string;
}

const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 256;
const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function parseJson(payload: Buffer): Record<string, unknown> | string {
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    return `not JSON: ${(err as Error).message}`;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'not an object';
  const d = doc as Record<string, unknown>;
  if (d.v !== REPAIR_MESSAGE_VERSION) return `unsupported version ${String(d.v)}`;
  return d;
}

export function parseLastSeqs(payload: Buffer): LastSeqs | string {
  const d = parseJson(payload);
  if (typeof d === 'string') return d;
  if (!isId(d.site) || !isId(d.gateway) || !isId(d.epoch)) return 'site, gateway or epoch missing';
  if (!Number.isSafeInteger(d.ts)) return 'ts is not an integer';
  if (typeof d.lastSeq !== 'object' || d.lastSeq === null) return 'lastSeq is not an object';
  for (const [instrument, seq] of Object.entries(d.lastSeq)) if (!isSeq(seq)) return `lastSeq.${instrument} is not a seq`;
  return d as unknown as LastSeqs;
}

export function parseResendRequest(payload: Buffer): ResendRequest | string {
  const d = parseJson(payload);
  if (typeof d === 'string') return d;
  if (!isId(d.instrument) || !isId(d.epoch) || !isId(d.requestId)) return 'instrument, epoch or requestId missing';
  if (!isSeq(d.from) || !isSeq(d.to) || (d.from as number) < 1 || (d.to as number) < (d.from as number)) return 'from..to is not a seq range (1 ≤ from ≤ to)';
  return d as unknown as ResendRequest;
}
