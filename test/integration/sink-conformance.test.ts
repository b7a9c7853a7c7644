import { createServer, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CalEvent } from '../../gateway/calibration/cal-event.js';
import type { ReadingBatch } from '../../gateway/reading.js';
import type { Sink } from '../../gateway/sinks/sink.js';
import { RejectedBatchError } from '../../gateway/sinks/sink-errors.js';
import { until } from '../support/until.js';
import { batchOf, IMPLEMENTATIONS, type Destination, type Harness, type Implementation } from './sink-conformance-fixtures.js';

/** The Sink contract's bounds (gateway/sinks/sink.ts). */
const START_BOUND_MS = 5000;
const STOP_BOUND_MS = 5000;
const REJECT_BOUND_MS = 5000;

/** Settles within `ms` or says it did not: 'resolved', 'rejected' (with the error), 'pending'. */
async function settled(p: Promise<void>, ms: number): Promise<{ state: 'resolved' | 'pending' } | { state: 'rejected'; err: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<{ state: 'pending' }>((r) => (timer = setTimeout(() => r({ state: 'pending' }), ms)));
  try {
    return await Promise.race([
      p.then(
        () => ({ state: 'resolved' as const }),
        (err: unknown) => ({ state: 'rejected' as const, err }),
      ),
      pending,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** What the spool does: write the batch (or event) again after a pause until the sink takes it; loud at the deadline. */
async function writeUntilTaken(sink: Sink, record: ReadingBatch | CalEvent, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const write = () => ('readings' in record ? sink.write(record) : sink.writeEvent!(record));
  let last: unknown;
  for (let attempts = 1; Date.now() < deadline; attempts++) {
    const outcome = await settled(write(), Math.max(1, deadline - Date.now()));
    if (outcome.state === 'resolved') return attempts;
    if (outcome.state === 'rejected') last = outcome.err;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${sink.name}: the batch was not taken within ${timeoutMs} ms; last error: ${String(last)}`);
}

/** A destination that hangs: it takes TCP connections and never answers (a wedged server, a stalled link). */
async function blackhole(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('blackhole: no port');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const EVENT_T0 = Date.now();

/** A manual quarantine of `instrument` at t0 + n ms (each event its own point in InfluxDB). */
function eventOf(site: string, instrument: string, n: number, t0 = EVENT_T0): CalEvent {
  return {
    site,
    instrument,
    kind: 'transition',
    ts: t0 + n,
    from: 'valid',
    to: 'quarantined',
    certificate: 'CONF-1',
    due: '2030-01-01',
    reason: `conformance ${n}`,
  };
}

const seqsOf = (b: ReadingBatch) => b.readings.map((r) => r.seq);

/**
 * One conformance suite for every Sink (as MQTT.js's abstractStoreTest is for its stores), each
 * against its real destination: add an implementation in sink-conformance-fixtures.ts.
 */
function sinkConformance(impl: Implementation): void {
  describe(`Sink conformance: ${impl.name}`, () => {
    let destination: Destination;
    const open: { h: Harness; started: boolean }[] = [];
    beforeAll(async () => {
      destination = await impl.destination();
    }, 60_000);
    afterEach(async () => {
      await destination.up();
      for (const o of open.splice(0)) {
        if (o.started) await o.h.sink.stop();
        await o.h.close();
      }
    }, 60_000);
    afterAll(async () => {
      await destination?.dispose();
    }, 30_000);

    const harness = async (start = true, port?: number): Promise<Harness> => {
      const h = await impl.harness(port);
      const o = { h, started: false };
      open.push(o);
      if (start) {
        await h.sink.start();
        o.started = true;
      }
      return h;
    };
    const expectStored = (h: Harness, instrument: string, seqs: number[]) =>
      until(async () => (await h.stored(instrument)).length >= seqs.length, `${seqs.length} readings of ${instrument} at the destination`, 5000).then(
        async () => expect((await h.stored(instrument)).sort((a, b) => a - b)).toEqual(seqs),
      );

    const expectEvents = (h: Harness, instrument: string, ts: number[]) =>
      until(async () => (await h.storedEvents(instrument)).length >= ts.length, `${ts.length} events of ${instrument} at the destination`, 5000).then(
        async () => expect(await h.storedEvents(instrument)).toEqual(ts),
      );

    it('resolves a write only once the destination holds it: every reading read back, once', async () => {
      const h = await harness();
      const site = h.site;
      const batches = ['a', 'b', 'c'].flatMap((inst) => [1, 4, 7, 10].map((seq) => batchOf(site, inst, seq)));
      await Promise.all(batches.map((b) => h.sink.write(b)));
      expect(h.sink.connected()).toBe(true);
      for (const inst of ['a', 'b', 'c'])
        await expectStored(
          h,
          inst,
          Array.from({ length: 12 }, (_, i) => i + 1),
        );
    });

    it('rejects a write while the destination is down, resolves none, and takes the batch once it is back', async () => {
      const h = await harness();
      const site = h.site;
      const first = batchOf(site, 'x', 1);
      await h.sink.write(first);
      await destination.down();
      const whileDown = batchOf(site, 'x', 4);
      const outcome = await settled(h.sink.write(whileDown), REJECT_BOUND_MS);
      expect(outcome.state, 'a write to a down destination').toBe('rejected');
      expect(h.sink.connected()).toBe(false);
      await destination.up();
      await writeUntilTaken(h.sink, whileDown);
      expect(h.sink.connected()).toBe(true);
      await expectStored(h, 'x', [...seqsOf(first), ...seqsOf(whileDown)]);
    }, 90_000);

    it('keeps the same contract for calibration events: resolved once held, rejected while down, taken once back', async () => {
      const h = await harness();
      const first = eventOf(h.site, 'ev', 1);
      await h.sink.writeEvent!(first);
      await expectEvents(h, 'ev', [first.ts]);
      await destination.down();
      const whileDown = eventOf(h.site, 'ev', 2);
      const outcome = await settled(h.sink.writeEvent!(whileDown), REJECT_BOUND_MS);
      expect(outcome.state, 'an event written to a down destination').toBe('rejected');
      await destination.up();
      await writeUntilTaken(h.sink, whileDown);
      await expectEvents(h, 'ev', [first.ts, whileDown.ts]);
    }, 90_000);
    it('rejects each batch the destination refuses with RejectedBatchError, and takes the next one', async () => {
      const h = await harness();
      for (const { why, batch: refused } of await h.refusals()) {
        const outcome = await settled(h.sink.write(refused), REJECT_BOUND_MS);
        expect(outcome.state, `a batch ${why}`).toBe('rejected');
        if (outcome.state === 'rejected') expect(outcome.err, `a batch ${why}: ${String(outcome.err)}`).toBeInstanceOf(RejectedBatchError);
        const next = batchOf(refused.site, `after-${refused.instrument}`, 1);
        // As the spool does: Mosquitto 2.0 with max_queued_messages 0 (this broker) closes the
        // connection after its PUBACK 149, and the cloud sink fails what was in flight.
        await writeUntilTaken(h.sink, next, 10_000);
        await expectStored(h, next.instrument, seqsOf(next));
        expect(await h.stored(refused.instrument), `a batch ${why}`).toEqual([]);
      }
    });

    it(`stop() returns within ${STOP_BOUND_MS} ms while the destination is down, with a write outstanding`, async () => {
      const h = await harness();
      const site = h.site;
      await h.sink.write(batchOf(site, 'y', 1));
      await destination.down();
      h.sink.write(batchOf(site, 'y', 4)).catch(() => undefined);
      const t0 = Date.now();
      const outcome = await settled(h.sink.stop(), STOP_BOUND_MS + 1000);
      open.splice(0);
      expect(outcome.state).toBe('resolved');
      expect(Date.now() - t0).toBeLessThanOrEqual(STOP_BOUND_MS);
    }, 60_000);

    it(`start() and stop() are bounded while the destination hangs (takes connections, never answers)`, async () => {
      const hole = await blackhole();
      try {
        const h = await harness(false, hole.port);
        const started = await settled(h.sink.start(), START_BOUND_MS + 2000);
        open.at(-1)!.started = true;
        expect(started.state, 'start() against a hanging destination').not.toBe('pending');
        const write = h.sink.write(batchOf(h.site, 'z', 1));
        write.catch(() => undefined);
        await new Promise((r) => setTimeout(r, 200)); // the write is on its way to the hanging server
        const t0 = Date.now();
        const stopped = await settled(h.sink.stop(), STOP_BOUND_MS + 1000);
        open.splice(0);
        expect(stopped.state, 'stop() against a hanging destination').toBe('resolved');
        expect(Date.now() - t0).toBeLessThanOrEqual(STOP_BOUND_MS);
        expect((await settled(write, 1000)).state, 'a write outstanding at stop() is settled').not.toBe('pending');
      } finally {
        await hole.close();
      }
    }, 60_000);

    it(`start() with the destination down resolves within ${START_BOUND_MS} ms, and the sink delivers once it is back`, async () => {
      const h = await harness(false);
      await destination.down();
      const t0 = Date.now();
      const outcome = await settled(h.sink.start(), START_BOUND_MS + 2000);
      open.at(-1)!.started = true;
      expect(outcome.state, 'start() with the destination down').toBe('resolved');
      expect(Date.now() - t0).toBeLessThanOrEqual(START_BOUND_MS + 500);
      expect(h.sink.connected()).toBe(false);
      await destination.up();
      const site = h.site;
      const batch = batchOf(site, 'late', 1);
      await writeUntilTaken(h.sink, batch);
      await expectStored(h, 'late', seqsOf(batch));
    }, 90_000);
  });
}

for (const impl of IMPLEMENTATIONS) sinkConformance(impl);
