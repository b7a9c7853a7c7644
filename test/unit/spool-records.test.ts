import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Dropped, Spool, SpoolInput, SpoolOptions } from '../../gateway/spool/spool.js';
import { SqliteSpool } from '../../gateway/spool/sqlite-spool.js';

/**
 * The spool's record kinds (readings, event, stats in one log), as a conformance suite beside
 * spool-conformance.test.ts: every Spool implementation runs it by adding one line at the bottom.
 */
function spoolRecordConformance(name: string, open: (opts: SpoolOptions) => Spool): void {
  describe(`Spool record kinds: ${name}`, () => {
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
    const record = (kind: 'event' | 'stats', instrument: string, pad = 0): SpoolInput => ({
      kind,
      instrument,
      count: 0,
      lastSeq: 0,
      payload: JSON.stringify({ kind, instrument, ts: 1 }) + ' '.repeat(pad),
    });

    it('keeps events and stats in one log with the reading batches, in order, each read back with its kind', () => {
      const dir = newDir();
      const s = spool({ dir });
      s.append([input('x', 2), record('event', 'x'), record('stats', '')]);
      s.append([input('x', 4)]);
      const read = s.read('a', 0, 10).map((e) => [e.id, e.kind, e.instrument, e.count]);
      expect(read).toEqual([
        [1, 'readings', 'x', 2],
        [2, 'event', 'x', 0],
        [3, 'stats', '', 0],
        [4, 'readings', 'x', 2],
      ]);
      expect(JSON.parse(s.read('a', 1, 1)[0]!.payload)).toEqual({ kind: 'event', instrument: 'x', ts: 1 });
      // depth counts readings, batches every entry waiting: a waiting event keeps a drain waiting.
      expect(s.position('a')).toMatchObject({ depth: 4, batches: 4 });
      s.ack('a', { id: 1, count: 2 });
      s.ack('a', { id: 2, count: 0 });
      s.ack('a', { id: 3, count: 0 });
      expect(s.position('a')).toMatchObject({ cursor: 3, depth: 2, batches: 1 });
      s.close();
      expect(
        spool({ dir })
          .read('b', 0, 10)
          .map((e) => e.kind),
      ).toEqual(['readings', 'event', 'stats', 'readings']);
    });

    it('an event or stats record takes no reading seq: lastSeq and readSeqs see reading batches only', () => {
      const dir = newDir();
      const s = spool({ dir });
      s.append([input('x', 2), record('event', 'x'), input('x', 4), record('event', 'x')]);
      expect(s.lastSeq('x')).toBe(4);
      expect(s.readSeqs('x', 0, 10, 10).map((e) => [e.id, e.kind])).toEqual([
        [1, 'readings'],
        [3, 'readings'],
      ]);
      s.close();
      // Recovered from the entries after a crash (seqs are persisted by maintain()): events still count for nothing.
      const again = spool({ dir });
      expect(again.lastSeq('x')).toBe(4);
      again.append([input('x', 6)]);
      expect(again.lastSeq('x')).toBe(6);
    });

    it('the quota drops events and stats like batches, oldest first, naming their kind and counting no readings', () => {
      const s = spool({ dir: newDir(), maxBytes: 3_100 });
      const drops: Dropped[] = [];
      s.onDrop((d) => drops.push(d));
      s.append([record('event', 'x', 980), input('x', 3, 3, 980), record('stats', '', 980)]);
      s.append([input('x', 6, 3, 980)]);
      const lost = drops.filter((d) => d.consumer === 'a').flatMap((d) => d.entries);
      expect(lost).toEqual([{ id: 1, kind: 'event', instrument: 'x', count: 0 }]);
      expect(s.position('a')).toMatchObject({ dropped: 0, depth: 6, batches: 3, cursor: 1 });
    });
  });
}

spoolRecordConformance('SqliteSpool', (opts) => new SqliteSpool(opts));

describe('SqliteSpool: a spool written before record kinds', () => {
  it('opens with every stored entry a reading batch, its cursors, seqs and epoch kept, and takes events after them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'metrogate-spool-v1-'));
    try {
      // The schema as the gateway wrote it before entries had a kind.
      const db = new Database(join(dir, 'spool.sqlite'));
      db.exec(`
        CREATE TABLE entry (id INTEGER PRIMARY KEY, instrument TEXT NOT NULL, at INTEGER NOT NULL,
          n INTEGER NOT NULL, last_seq INTEGER NOT NULL, size INTEGER NOT NULL, payload TEXT NOT NULL);
        CREATE TABLE consumer (name TEXT PRIMARY KEY, cursor INTEGER NOT NULL, dropped INTEGER NOT NULL);
        CREATE TABLE last_seq (instrument TEXT PRIMARY KEY, seq INTEGER NOT NULL);
        CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
        CREATE TABLE identity (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE INDEX entry_seq ON entry (instrument, last_seq);
        INSERT INTO entry VALUES (1, 'x', 1000, 2, 2, 3, 'p-1'), (2, 'x', 1001, 2, 4, 3, 'p-2'), (3, 'y', 1002, 1, 7, 3, 'p-3');
        INSERT INTO consumer VALUES ('mqtt', 1, 5);
        INSERT INTO last_seq VALUES ('x', 4), ('y', 7);
        INSERT INTO meta VALUES ('head', 3), ('seqs_upto', 3);
        INSERT INTO identity VALUES ('epoch', 'abcdef0123456789');`);
      db.close();
      const s = new SqliteSpool({ dir, consumers: ['mqtt'] });
      expect(s.epoch).toBe('abcdef0123456789');
      expect(s.read('mqtt', 0, 10).map((e) => [e.id, e.kind, e.count, e.payload])).toEqual([
        [2, 'readings', 2, 'p-2'],
        [3, 'readings', 1, 'p-3'],
      ]);
      expect(s.position('mqtt')).toMatchObject({ cursor: 1, depth: 3, batches: 2, dropped: 5 });
      expect([s.lastSeq('x'), s.lastSeq('y')]).toEqual([4, 7]);
      expect(s.readSeqs('x', 3, 4, 10).map((e) => e.id)).toEqual([2]);
      expect(s.append([{ kind: 'event', instrument: 'x', count: 0, lastSeq: 0, payload: '{"ts":1}' }])).toBe(4);
      expect(s.read('mqtt', 3, 10).map((e) => [e.id, e.kind])).toEqual([[4, 'event']]);
      expect(s.lastSeq('x')).toBe(4);
      s.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
