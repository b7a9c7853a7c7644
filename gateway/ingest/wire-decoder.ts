import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import calEventSchema from '../schemas/cal-event.schema.json' with { type: 'json' };
import statsSchema from '../schemas/gateway-stats.schema.json' with { type: 'json' };
import statusSchema from '../schemas/instrument-status.schema.json' with { type: 'json' };
import batchSchema from '../schemas/reading-batch.schema.json' with { type: 'json' };
import { topicIds } from '../contract/topics.js';
import type { WireBatch } from '../sinks/mqtt/payload.js';
import type { WireCalEvent, WireGatewayStats, WireInstrumentStatus } from '../influx/event-lines.js';

/** Why the ingest refused a message: a metric label, so a short fixed list. */
export const REJECT_REASONS = ['too_large', 'not_json', 'schema', 'timestamp', 'topic_identity', 'topic', 'unrenderable'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export interface Rejection {
  reason: RejectReason;
  /** What exactly is wrong, for the log (never a metric label). */
  detail: string;
}

export type WireMessage =
  | { kind: 'data'; batch: WireBatch }
  | { kind: 'event'; event: WireCalEvent }
  | { kind: 'stats'; stats: WireGatewayStats }
  | { kind: 'status'; status: WireInstrumentStatus }
  /** An empty retained status: the gateway cleared a removed instrument's (its `removed` status came before). */
  | { kind: 'status_cleared' };

export interface DecoderOptions {
  /** A timestamp further back than this is refused (a point re-stamped to 1970). */
  maxAgeMs: number;
  /** A timestamp further ahead than this is refused (a point stamped into a future week). */
  maxAheadMs: number;
  /** Payloads above this many bytes are refused before they are parsed. */
  maxBytes?: number;
  now?: () => number;
}

/** A poll cycle of 10,000 readings (the schema's maximum) at ~250 bytes each, with room to spare. */
export const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

/**
 * The contract's JSON Schemas (gateway/schemas/*.schema.json, generated from gateway/contract/: the
 * documents consumers get) compiled once. removeAdditional: a field the schema does not know (a newer gateway's addition)
 * is dropped before anything reads the message, so it is never stored and never refuses the
 * message. strictNumbers: NaN and Infinity (JSON's 1e999) are not numbers.
 */
const ajv = new Ajv2020({ allErrors: false, strict: false, strictNumbers: true, removeAdditional: true, coerceTypes: false, useDefaults: false });
const validators = {
  data: ajv.compile<WireBatch>(batchSchema),
  event: ajv.compile<WireCalEvent>(calEventSchema),
  stats: ajv.compile<WireGatewayStats>(statsSchema),
  status: ajv.compile<WireInstrumentStatus>(statusSchema),
};

// The topic layout is the contract's; re-exported for the ingest's callers and tests.
export { topicIds };

function schemaProblem(errors: ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  return e ? `${e.instancePath || '/'} ${e.message ?? 'is invalid'}` : 'does not match the schema';
}

/**
 * The one decoder for every message the ingest takes. A message is accepted whole or refused
 * whole, with a reason; nothing it carries reaches InfluxDB or the sequence
 * tracker before it passed.
 */
export class WireDecoder {
  private readonly now: () => number;
  private readonly maxBytes: number;

  constructor(private readonly opts: DecoderOptions) {
    this.now = opts.now ?? Date.now;
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  }

  decode(topic: string, payload: Buffer): WireMessage | Rejection {
    const ids = topicIds(topic);
    if (ids === null) return { reason: 'topic', detail: 'not a data, event, status or stats topic' };
    if (ids.kind === 'status' && payload.length === 0) return { kind: 'status_cleared' };
    if (payload.length > this.maxBytes) return { reason: 'too_large', detail: `${payload.length} bytes, at most ${this.maxBytes}` };
    let doc: unknown;
    try {
      doc = JSON.parse(payload.toString('utf8'));
    } catch (err) {
      return { reason: 'not_json', detail: (err as Error).message.slice(0, 200) };
    }
    const validate: ValidateFunction = validators[ids.kind];
    if (!validate(doc)) return { reason: 'schema', detail: schemaProblem(validate.errors) };
    const msg = doc as { site: string; gateway: string; instrument?: string };
    if (msg.site !== ids.site || msg.gateway !== ids.gateway || (ids.instrument !== undefined && msg.instrument !== ids.instrument)) {
      return {
        reason: 'topic_identity',
        detail: `the payload names ${msg.site}/${msg.gateway}${msg.instrument ? '/' + msg.instrument : ''}, its topic another`,
      };
    }
    const late = this.outOfWindow(ids.kind === 'data' ? (doc as WireBatch).readings : [doc as { ts: number }]);
    if (late !== null) return { reason: 'timestamp', detail: late };
    if (ids.kind === 'data') return { kind: 'data', batch: doc as WireBatch };
    if (ids.kind === 'event') return { kind: 'event', event: doc as WireCalEvent };
    if (ids.kind === 'status') return { kind: 'status', status: doc as WireInstrumentStatus };
    return { kind: 'stats', stats: doc as WireGatewayStats };
  }

  private outOfWindow(stamped: readonly { ts: number }[]): string | null {
    const now = this.now();
    const from = now - this.opts.maxAgeMs;
    const to = now + this.opts.maxAheadMs;
    for (let i = 0; i < stamped.length; i++) {
      const ts = stamped[i]!.ts;
      if (ts < from || ts > to) return `ts ${iso(ts)} outside ${iso(from)} .. ${iso(to)}`;
    }
    return null;
  }
}

/** Dates beyond ±8.64e15 ms have no ISO form. */
function iso(ms: number): string {
  return Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : `${ms} ms`;
}

export function isRejection(m: WireMessage | Rejection): m is Rejection {
  return 'reason' in m;
}
