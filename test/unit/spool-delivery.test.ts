import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../gateway/log.js';
import type { Reading, ReadingBatch } from '../../gateway/reading.js';
import type { Sink } from '../../gateway/sinks/sink.js';
import { RejectedBatchError } from '../../gateway/sinks/sink-errors.js';
import { DEFAULT_SPOOL } from '../../gateway/spool/spool-config.js';
import { SpoolDelivery, type DeliveryTarget } from '../../gateway/spool/spool-delivery.js';
import { until } from '../support/until.js';

const cal = Object.freeze({ status: 'valid' as const, certificate: 'C-1', due: '2030-01-01', daysToDue: 1000, traceable: true });

/** A sink whose availability the test switches; it records what it acknowledged, in order. */
class SwitchableSink implements Sink {
  up = true;
  /** Acknowledge only after this many ms (a slow link). */
  delayMs = 0;
  readonly taken: { instrument: string; seq: number }[] = [];
  inFlight = 0;
  maxInFlight = 0;
  poisonSeq: number | null = null;

  constructor(readonly name: string) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  connected(): boolean {
    return this.up;
  }
  async write(batch: ReadingBatch): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
      if (batch.readings.some((r) => r.seq === this.poisonSeq)) throw new RejectedBatchError('HTTP 400: bad reading');
      if (!this.up) throw new Error('destination down');
      for (const r of batch.readings) this.taken.push({ instrument: batch.instrument, seq: r.seq });
    } finally {
      this.inFlight--;
    }
  }
}

function batch(instrument: string, seq: number, n = 2): ReadingBatch {
  const readings: Reading[] = [];
  for (let i = 0; i < n; i++) {
    readings.push({
      site: 'lab',
      instrument,
      channel: `c${i}`,
      quantity: 'q',
      unit: 'V',
      ts: 1_700_000_000_000 + seq,
      seq: seq + i,
      raw: i,
      value: i,
      quality: 'good',
      cal,
    });
  }
  return { site: 'lab', instrument, readings };
}

describe('spool delivery (a real SQLite spool, sinks switched up and down)', () => {
  const dirs: string[] = [];
  const running: SpoolDelivery[] = [];
  afterEach(async () => {
    for (const d of running.splice(0)) await d.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function delivery(targets: DeliveryTarget[], dir = mkdtempSync(join(tmpdir(), 'metrogate-delivery-'))) {
    dirs.push(dir);
    const counts = { delivered: new Map<string, number>(), dropped: new Map<string, number>() };
    const d = new SpoolDelivery({
      config: { ...DEFAULT_SPOOL, dir, drainTimeoutMs: 5000 },
      site: 'lab',
      targets,
      log: silentLogger(),
      hooks: {
        delivered: (sink, _i, n) => counts.delivered.set(sink, (counts.delivered.get(sink) ?? 0) + n),
        dropped: (sink, _i, n) => counts.dropped.set(sink, (counts.dropped.get(sink) ?? 0) + n),
      },
    });
    d.open();
    running.push(d);
    return { d, counts, dir };
  }

  const seqs = (sink: SwitchableSink, instrument: string) => sink.taken.filter((t) => t.instrument === instrument).map((t) => t.seq);

  it('keeps what a sink does not take and replays it, oldest first, once the sink is back', async () => {
    const edge = new SwitchableSink('edge');
    const { d, counts } = delivery([{ sink: edge, maxInFlight: 8, inOrder: true }]);
    await d.start();
    edge.up = false;
    for (let s = 1; s <= 200; s += 2) d.accept(batch('x', s));
    await until(() => d.stats()[0]!.lastError !== null, 'the down sink to fail a delivery', { observe: () => d.stats()[0] });
    expect(d.stats()[0]).toMatchObject({ sink: 'edge', depth: 200, connected: false });
    expect(d.stats()[0]!.lastError).toBe('destination down');
    edge.up = true;
    expect(await d.drain()).toBe(true);
    expect(seqs(edge, 'x')).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(counts.delivered.get('edge')).toBe(200);
    expect(d.stats()[0]).toMatchObject({ depth: 0, oldestAgeMs: 0, dropped: 0, lastError: null });
  });

  it('interleaves live batches with a long replay when the sink is not in-order', async () => {
    const edge = new SwitchableSink('edge');
    const { d } = delivery([{ sink: edge, maxInFlight: 8, inOrder: false }]);
    await d.start();
    edge.up = false;
    for (let s = 1; s <= 2000; s += 2) d.accept(batch('x', s));
    await until(() => d.stats()[0]!.lastError !== null, 'the down sink to fail a delivery', { observe: () => d.stats()[0] });
    edge.up = true;
    edge.delayMs = 5;
    // Live batches while the backlog of 1,000 batches replays at ~8 per 5 ms.
    await until(() => d.stats()[0]!.replaying, 'the replay to start');
    d.accept(batch('live', 1));
    await until(() => seqs(edge, 'live').length > 0, 'the live batch');
    expect(seqs(edge, 'x').length).toBeLessThan(2000);
    expect(await d.drain()).toBe(true);
    expect(new Set(seqs(edge, 'x')).size).toBe(2000);
    expect(edge.maxInFlight).toBeLessThanOrEqual(8);
  });

  it('in-order: a live batch waits for the replay, so per instrument everything arrives in order', async () => {
    const cloud = new SwitchableSink('cloud');
    const { d } = delivery([{ sink: cloud, maxInFlight: 8, inOrder: true }]);
    await d.start();
    cloud.up = false;
    let s = 1;
    for (; s <= 400; s += 2) d.accept(batch('x', s));
    await until(() => d.stats()[0]!.lastError !== null, 'the down sink to fail a delivery', { observe: () => d.stats()[0] });
    cloud.up = true;
    cloud.delayMs = 2;
    await until(() => d.stats()[0]!.replaying, 'the replay to start');
    for (; s <= 600; s += 2) {
      d.accept(batch('x', s));
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(await d.drain()).toBe(true);
    expect(seqs(cloud, 'x')).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
  });

  it('a batch the destination refuses as malformed is counted and skipped, not retried', async () => {
    const cloud = new SwitchableSink('cloud');
    cloud.poisonSeq = 5;
    const { d, counts } = delivery([{ sink: cloud, maxInFlight: 4, inOrder: true }]);
    await d.start();
    for (let s = 1; s <= 10; s += 2) d.accept(batch('x', s));
    expect(await d.drain()).toBe(true);
    expect(seqs(cloud, 'x')).toEqual([1, 2, 3, 4, 7, 8, 9, 10]);
    expect(counts.dropped.get('cloud')).toBe(2);
    expect(d.stats()[0]).toMatchObject({ rejected: 2, delivered: 8, depth: 0 });
  });

  it('each sink has its own cursor: one down does not hold back the other, nor lose its backlog', async () => {
    const edge = new SwitchableSink('edge');
    const cloud = new SwitchableSink('cloud');
    const { d } = delivery([
      { sink: edge, maxInFlight: 8, inOrder: false },
      { sink: cloud, maxInFlight: 8, inOrder: true },
    ]);
    await d.start();
    cloud.up = false;
    for (let s = 1; s <= 100; s += 2) d.accept(batch('x', s));
    await until(() => edge.taken.length === 100, 'the edge sink');
    expect(d.stats().map((s) => [s.sink, s.depth])).toEqual([
      ['edge', 0],
      ['cloud', 100],
    ]);
    cloud.up = true;
    expect(await d.drain()).toBe(true);
    expect(seqs(cloud, 'x')).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it('events and stats wait with the readings for a sink that stores them, in order; a sink that does not is not held back', async () => {
    const taken: string[] = [];
    let up = false;
    const recorder: Sink = {
      name: 'edge',
      start: async () => {},
      stop: async () => {},
      connected: () => up,
      write: async (b) => {
        if (!up) throw new Error('destination down');
        taken.push(`readings ${b.readings[0]!.seq}`);
      },
      writeEvent: async (e) => {
        if (!up) throw new Error('destination down');
        taken.push(`event ${e.reason}`);
      },
      writeStats: async (st) => {
        if (!up) throw new Error('destination down');
        taken.push(`stats ${st.polled}`);
      },
    };
    const readingsOnly = new SwitchableSink('readings-only');
    const { d } = delivery([
      { sink: recorder, maxInFlight: 4, inOrder: true },
      { sink: readingsOnly, maxInFlight: 4, inOrder: true },
    ]);
    await d.start();
    d.accept(batch('x', 1));
    d.acceptEvent({
      site: 'lab',
      instrument: 'x',
      kind: 'transition',
      ts: 1,
      from: 'valid',
      to: 'expired',
      certificate: 'C-1',
      due: '2030-01-01',
      reason: 'calendar',
    });
    d.accept(batch('x', 3));
    d.acceptStats({ ts: 2, polled: 4, published: 0, errors: 0, timeouts: 0, skippedCycles: 0, rssMB: 1, cpuShare: 0 });
    await until(() => seqs(readingsOnly, 'x').length === 4, 'the readings-only sink to take every reading');
    // Its cursor moved over the event and the stats it does not store: nothing waits for it.
    await until(() => d.stats()[1]!.depth === 0, 'the readings-only sink caught up');
    expect(d.stats()[0]).toMatchObject({ depth: 4 });
    up = true;
    expect(await d.drain()).toBe(true);
    expect(taken).toEqual(['readings 1', 'event calendar', 'readings 3', 'stats 4']);
  });

  it('after a stop in the middle of a replay, a new start sends the rest and loses nothing', async () => {
    const first = new SwitchableSink('edge');
    const { d, dir } = delivery([{ sink: first, maxInFlight: 4, inOrder: true }]);
    await d.start();
    first.up = false;
    for (let s = 1; s <= 1000; s += 2) d.accept(batch('x', s));
    first.up = true;
    first.delayMs = 2;
    await until(() => first.taken.length >= 100, 'part of the replay');
    running.splice(running.indexOf(d), 1);
    await d.stop();
    const second = new SwitchableSink('edge');
    const again = delivery([{ sink: second, maxInFlight: 4, inOrder: true }], dir).d;
    await again.start();
    expect(await again.drain()).toBe(true);
    const all = new Set([...seqs(first, 'x'), ...seqs(second, 'x')]);
    expect(all.size).toBe(1000);
    // At least once: only what was in flight at the stop may come twice.
    expect(first.taken.length + second.taken.length - 1000).toBeLessThanOrEqual(4 * 2);
    expect(seqs(second, 'x')[0]).toBeGreaterThan(1);
  });
});
