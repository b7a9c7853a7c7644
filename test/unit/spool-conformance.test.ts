import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Dropped, Spool, SpoolInput, SpoolOptions } from '../../gateway/spool/spool.js';
import { SqliteSpool } from '../../gateway/spool/sqlite-spool.js';

/**
 * One conformance suite for every Spool implementation (as MQTT.js's abstractStoreTest does for
 * its stores): add an implementation by adding one line at the bottom.
 */
function spoolConformance(name: string, open: (opts: SpoolOptions) => Spool): void {
  describe(`Spool conformance: ${name}`, () => {
    const dirs: string[] = [];
    const opened: Spool[] = [];
    afterEach(() => {
      for (const s of opened.splice(0)) {
        try {
          s.close();
        } catch {
          // closed by the test
        }
      }
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    });
    const newDir = () => {
      const d = mkdtempSync(join(tmpdir(), 'metrogate-spool-'));
      dirs.push(d);
      return d;
    };
    const spool = (opts: Partial<SpoolOptions> & { dir: string }) => {
      const s = open({ consumers: ['a', 'b'], ...opts });
      opened.push(s);
      return s;
    };
    const input = (instrument: string, seq: number, count = 2, pad = 0): SpoolInput => ({
      instrument,
      count,
      lastSeq: seq,
      payload: JSON.stringify({ instrument, seq }) + ' '.repeat(pad),
    });
    const ids = (s: Spool, consumer: string, after = 0, limit = 1000) => s.read(consumer, after, limit).map((e) => e.id);

    it('gives consecutive ids and reads oldest first, after an id, up to a limit', () => {
      const s = spool({ dir: newDir() });
      expect(s.append([input('x', 2), input('y', 2)])).toBe(1);
      expect(s.append([input('x', 4)])).toBe(3);
      expect(s.headId()).toBe(3);
      const all = s.read('a', 0, 10);
      expect(all.map((e) => [e.id, e.instrument, e.count])).toEqual([
        [1, 'x', 2],
        [2, 'y', 2],
        [3, 'x', 2],
      ]);
      expect(JSON.parse(all[2]!.payload)).toEqual({ instrument: 'x', seq: 4 });
      expect(ids(s, 'a', 1, 1)).toEqual([2]);
      expect(ids(s, 'a', 3)).toEqual([]);
    });

    it('moves the cursor only over acknowledged ids without a gap, and read() skips acknowledged ones', () => {
      const s = spool({ dir: newDir() });
      s.append([1, 2, 3, 4, 5].map((i) => input('x', i)));
      s.ack('a', { id: 2, count: 2 });
      s.ack('a', { id: 4, count: 2 });
      expect(s.position('a')).toMatchObject({ cursor: 0, depth: 6, batches: 3 });
      expect(ids(s, 'a')).toEqual([1, 3, 5]);
      expect(s.isAcked('a', 2)).toBe(true);
      expect(s.isAcked('a', 3)).toBe(false);
      s.ack('a', { id: 1, count: 2 });
      expect(s.position('a').cursor).toBe(2);
      s.ack('a', { id: 3, count: 2 });
      expect(s.position('a')).toMatchObject({ cursor: 4, depth: 2, batches: 1 });
      s.ack('a', { id: 3, count: 2 }); // twice: no effect
      expect(s.position('a')).toMatchObject({ cursor: 4, depth: 2, batches: 1 });
      expect(ids(s, 'b')).toEqual([1, 2, 3, 4, 5]);
    });

    it('after close and reopen, each consumer resumes after its cursor', () => {
      const dir = newDir();
      const s = spool({ dir });
      s.append([1, 2, 3, 4].map((i) => input('x', i)));
      s.ack('a', { id: 1, count: 2 });
      s.ack('a', { id: 2, count: 2 });
      s.ack('a', { id: 4, count: 2 }); // above a gap: not persisted, sent again (at least once)
      s.close();
      const again = spool({ dir });
      expect(ids(again, 'a')).toEqual([3, 4]);
      expect(ids(again, 'b')).toEqual([1, 2, 3, 4]);
      expect(again.position('a')).toMatchObject({ cursor: 2, depth: 4, batches: 2 });
    });

    it('removes a batch once every consumer took it, and never reuses an id', () => {
      const dir = newDir();
      const s = spool({ dir });
      s.append([1, 2].map((i) => input('x', i, 1, 1000)));
      const full = s.bytes();
      expect(full).toBeGreaterThan(2000);
      for (const c of ['a', 'b']) for (const id of [1, 2]) s.ack(c, { id, count: 1 });
      s.maintain();
      expect(s.bytes()).toBe(0);
      s.close();
      const again = spool({ dir });
      expect(again.headId()).toBe(2);
      expect(again.append([input('x', 3)])).toBe(3);
      expect(ids(again, 'a')).toEqual([3]);
    });

    it('remembers the highest seq per instrument, also once its batches are gone', () => {
      const dir = newDir();
      const s = spool({ dir });
      s.append([input('x', 10), input('y', 3), input('x', 12)]);
      expect(s.lastSeq('x')).toBe(12);
      for (const c of ['a', 'b']) for (const id of [1, 2, 3]) s.ack(c, { id, count: 2 });
      s.maintain();
      s.close();
      const again = spool({ dir });
      expect([again.lastSeq('x'), again.lastSeq('y'), again.lastSeq('z')]).toEqual([12, 3, 0]);
    });

    it('a consumer added later starts at the head; one no longer listed is forgotten', () => {
      const dir = newDir();
      const s = spool({ dir, consumers: ['a', 'old'] });
      s.append([input('x', 1)]);
      s.close();
      const again = spool({ dir, consumers: ['a', 'new'] });
      expect(ids(again, 'a')).toEqual([1]);
      expect(ids(again, 'new')).toEqual([]);
      again.append([input('x', 2)]);
      expect(ids(again, 'new')).toEqual([2]);
      expect(() => again.read('old', 0, 1)).toThrow(/no consumer "old"/);
    });

    it('drops the oldest only when the byte quota is exceeded, counting exactly what each consumer lost', () => {
      const dir = newDir();
      const s = spool({ dir, maxBytes: 10_000 });
      const drops: Dropped[] = [];
      s.onDrop((d) => drops.push(d));
      // Each batch ~1,000 bytes: nine fit, nothing dropped.
      for (let i = 1; i <= 9; i++) s.append([input(i % 2 ? 'x' : 'y', i, 3, 980)]);
      expect(drops).toEqual([]);
      expect(s.bytes()).toBeLessThanOrEqual(10_000);
      s.ack('a', { id: 2, count: 3 }); // 'a' took #2 already: losing it costs 'a' nothing
      for (let i = 10; i <= 12; i++) s.append([input('x', i, 3, 980)]);
      expect(s.bytes()).toBeLessThanOrEqual(10_000);
      const kept = ids(s, 'b');
      expect(kept[0]).toBeGreaterThan(1);
      const droppedIds = Array.from({ length: kept[0]! - 1 }, (_, i) => i + 1);
      expect(kept).toEqual(Array.from({ length: 12 - droppedIds.length }, (_, i) => droppedIds.length + 1 + i));
      expect(s.position('b').dropped).toBe(3 * droppedIds.length);
      expect(s.position('a').dropped).toBe(3 * (droppedIds.length - 1));
      expect(drops.filter((d) => d.consumer === 'b').flatMap((d) => d.entries.map((e) => e.id))).toEqual(droppedIds);
      expect(drops.filter((d) => d.consumer === 'a').flatMap((d) => d.entries.map((e) => e.id))).toEqual(droppedIds.filter((id) => id !== 2));
      expect(drops.every((d) => d.reason === 'quota-bytes')).toBe(true);
      expect(s.position('b')).toMatchObject({ depth: 3 * kept.length, batches: kept.length, cursor: droppedIds.length });
      s.close();
      const again = spool({ dir, maxBytes: 10_000 });
      expect(again.position('b').dropped).toBe(3 * droppedIds.length);
      expect(ids(again, 'b')).toEqual(kept);
    });

    it('never drops a batch a consumer holds (in flight): the quota takes the next oldest instead', () => {
      const s = spool({ dir: newDir(), maxBytes: 5_000 });
      for (let i = 1; i <= 4; i++) s.append([input('x', i, 3, 980)]);
      s.hold('a', 1);
      s.hold('b', 2);
      s.append([input('x', 5, 3, 980)]);
      s.append([input('x', 6, 3, 980)]);
      // #1 and #2 are held, so #3 and #4 went first.
      expect(ids(s, 'a')).toEqual([1, 2, 5, 6]);
      expect(s.position('a')).toMatchObject({ dropped: 6, cursor: 0 });
      // 'a' took #1; 'b' released #2 without an ack (its write failed): both may go now.
      s.ack('a', { id: 1, count: 3 });
      s.release('b', 2);
      s.append([input('x', 7, 3, 980)]);
      expect(ids(s, 'b')).toEqual([2, 5, 6, 7]);
      expect(s.position('b')).toMatchObject({ dropped: 9, cursor: 1 });
      expect(s.position('a')).toMatchObject({ dropped: 6, cursor: 1 });
      s.append([input('x', 8, 3, 980)]);
      expect(ids(s, 'b')).toEqual([5, 6, 7, 8]);
      expect(s.position('b')).toMatchObject({ dropped: 12, cursor: 4 });
      expect(s.position('a')).toMatchObject({ dropped: 9, cursor: 4 });
    });

    it('drops batches older than the age quota on maintain()', () => {
      const s = spool({ dir: newDir(), maxAgeMs: 60_000 });
      const drops: Dropped[] = [];
      s.onDrop((d) => drops.push(d));
      s.append([input('x', 1)], 1_000_000);
      s.append([input('x', 2)], 1_050_000);
      s.append([input('x', 3)], 1_100_000);
      s.maintain(1_100_001);
      expect(ids(s, 'a')).toEqual([2, 3]);
      expect(s.position('a')).toMatchObject({ dropped: 2, oldestAt: 1_050_000 });
      expect(drops.map((d) => [d.consumer, d.reason, d.entries.map((e) => e.id)])).toEqual([
        ['a', 'quota-age', [1]],
        ['b', 'quota-age', [1]],
      ]);
    });

    it('reports depth and the age of the oldest waiting batch per consumer', () => {
      const s = spool({ dir: newDir() });
      expect(s.position('a')).toEqual({ depth: 0, batches: 0, oldestAt: null, dropped: 0, cursor: 0 });
      s.append([input('x', 1, 5)], 1000);
      s.append([input('x', 2, 7)], 2000);
      s.ack('a', { id: 1, count: 5 });
      expect(s.position('a')).toMatchObject({ depth: 7, batches: 1, oldestAt: 2000 });
      expect(s.position('b')).toMatchObject({ depth: 12, batches: 2, oldestAt: 1000 });
    });

    it('has a random stream epoch, made with the spool and kept across reopening', () => {
      const dir = newDir();
      const s = spool({ dir });
      const epoch = s.epoch;
      expect(epoch).toMatch(/^[0-9a-f]{16}$/);
      s.close();
      expect(spool({ dir }).epoch).toBe(epoch);
      // A replaced spool (a new directory) numbers seqs from 1 again: under another epoch.
      expect(spool({ dir: newDir() }).epoch).not.toBe(epoch);
    });

    it('reads the stored batches holding a seq range, acknowledged or not, in seq order', () => {
      const s = spool({ dir: newDir() });
      // x: seqs 1-3, 4-6, 7-9, 10-12; y in between.
      s.append([input('x', 3, 3), input('y', 3, 3), input('x', 6, 3), input('x', 9, 3), input('x', 12, 3)]);
      for (const c of ['a', 'b']) s.ack(c, { id: 1, count: 3 });
      const seqs = (from: number, to: number, limit = 100) => s.readSeqs('x', from, to, limit).map((e) => JSON.parse(e.payload).seq as number);
      expect(seqs(5, 7)).toEqual([6, 9]);
      expect(seqs(1, 1)).toEqual([3]);
      expect(seqs(1, 12)).toEqual([3, 6, 9, 12]);
      expect(seqs(1, 12, 2)).toEqual([3, 6]);
      expect(seqs(13, 20)).toEqual([]);
      expect(s.readSeqs('y', 1, 3, 10).map((e) => e.id)).toEqual([2]);
    });

    it('keeps acknowledged batches for the retention window, then removes them', () => {
      const s = spool({ dir: newDir(), retainAckedMs: 60_000 });
      s.append([input('x', 3, 3)], 1_000_000);
      s.append([input('x', 6, 3)], 1_030_000);
      for (const c of ['a', 'b']) for (const id of [1, 2]) s.ack(c, { id, count: 3 });
      s.maintain(1_050_000);
      expect(s.readSeqs('x', 1, 6, 10).map((e) => e.id)).toEqual([1, 2]);
      expect(s.retention()).toEqual({ readings: 6, oldestAt: 1_000_000, evictedByQuota: 0 });
      expect(s.position('a')).toMatchObject({ depth: 0, batches: 0, cursor: 2 });
      s.maintain(1_070_000);
      expect(s.readSeqs('x', 1, 6, 10).map((e) => e.id)).toEqual([2]);
      expect(s.retention()).toEqual({ readings: 3, oldestAt: 1_030_000, evictedByQuota: 0 });
      s.maintain(1_100_000);
      expect(s.retention()).toEqual({ readings: 0, oldestAt: null, evictedByQuota: 0 });
      expect(s.bytes()).toBe(0);
    });

    it('without retention, acknowledged batches go at once', () => {
      const s = spool({ dir: newDir() });
      s.append([input('x', 3, 3)]);
      for (const c of ['a', 'b']) s.ack(c, { id: 1, count: 3 });
      s.maintain();
      expect(s.readSeqs('x', 1, 3, 10)).toEqual([]);
      expect(s.retention()).toMatchObject({ readings: 0, evictedByQuota: 0 });
    });

    it('the byte quota wins over retention: retained batches go first, counted as evicted, not as dropped', () => {
      const dir = newDir();
      const s = spool({ dir, maxBytes: 5_000, retainAckedMs: 3_600_000 });
      const drops: Dropped[] = [];
      s.onDrop((d) => drops.push(d));
      for (let i = 1; i <= 3; i++) s.append([input('x', 3 * i, 3, 980)]);
      for (const c of ['a', 'b']) for (const id of [1, 2, 3]) s.ack(c, { id, count: 3 });
      s.maintain();
      expect(s.retention().readings).toBe(9);
      for (let i = 4; i <= 6; i++) s.append([input('x', 3 * i, 3, 980)]);
      expect(s.bytes()).toBeLessThanOrEqual(5_000);
      expect(drops).toEqual([]);
      expect(s.retention()).toMatchObject({ evictedByQuota: 6, readings: 3 });
      expect(s.position('a')).toMatchObject({ dropped: 0, depth: 9 });
      s.close();
      // Reopened: what is retained is counted again from disk.
      expect(spool({ dir, maxBytes: 5_000, retainAckedMs: 3_600_000 }).retention()).toMatchObject({ readings: 3 });
    });

    it('refuses a second user of the same directory with a clear error', () => {
      const dir = newDir();
      spool({ dir });
      expect(() => open({ dir, consumers: ['a'] })).toThrow(new RegExp(`in use by pid ${process.pid} on \\S+ since .*: one gateway per spool directory`));
    });
  });
}

spoolConformance('SqliteSpool', (opts) => new SqliteSpool(opts));
