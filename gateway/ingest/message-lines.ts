import { calEventLine, gatewayStatsLine, instrumentStatusLines } from '../influx/event-lines.js';
import { LineProtocolRenderer } from '../influx/line-protocol.js';
import { LineProtocolError } from '../influx/line-protocol-escape.js';
import { SeqTracker } from './seq-tracker.js';
import type { Rejection, WireMessage } from './wire-decoder.js';

/**
 * A decoded message as lines of line protocol, by the shared renderers (gateway/influx/): a
 * reading batch as `reading` points (its seqs noted per stream), an event, a status or stats as
 * their own measurements.
 */
export class MessageLines {
  readonly seqs = new SeqTracker();
  private readonly renderer: LineProtocolRenderer;

  constructor(measurement: string) {
    this.renderer = new LineProtocolRenderer(measurement);
  }

  /** Appends the message's lines to `out`; a value line protocol cannot carry refuses it whole (nothing appended). */
  render(msg: WireMessage, out: string[]): Rejection | null {
    try {
      if (msg.kind === 'data') {
        const { batch } = msg;
        this.renderer.render(batch, out);
        // A replaced spool numbers from 1 again under a new epoch: a stream of its own, not duplicates.
        const stream = `${batch.site}/${batch.gateway}/${batch.instrument}/${batch.epoch ?? ''}`;
        for (const r of batch.readings) this.seqs.note(stream, r.seq);
      } else if (msg.kind === 'event') {
        out.push(calEventLine(msg.event));
      } else if (msg.kind === 'status') {
        out.push(...instrumentStatusLines(msg.status));
      } else if (msg.kind === 'stats') {
        out.push(gatewayStatsLine(msg.stats));
      }
      return null;
    } catch (err) {
      if (err instanceof LineProtocolError) return { reason: 'unrenderable', detail: err.message };
      throw err;
    }
  }
}
