import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { ensurePrivateDir, ensurePrivateFile, keepPrivate } from '../private-files.js';
import { describeHolder, recordHolder } from './spool-holder.js';
import type { EntrySize } from './quota.js';
import type { RecordKind, SpoolEntry } from './spool.js';

export const SPOOL_FILE = 'spool.sqlite';

/** The spool directory is in use by another process (SQLite's exclusive lock is held). */
export class SpoolLockedError extends Error {}

/** An entry as the quota sees it: what it weighs, when it came, what it was. */
export type Victim = EntrySize & { at: number; kind: RecordKind };

/** How a kind is stored (an integer, so a spool of readings weighs no more than before kinds). */
export const KIND_CODE: Record<RecordKind, number> = { readings: 0, event: 1, stats: 2 };
const KIND_NAME = `CASE kind WHEN 1 THEN 'event' WHEN 2 THEN 'stats' ELSE 'readings' END AS kind`;

/** The spool's database in `dir`, private (0600 in 0700), locked, with its tables up to date. */
export function openSpoolDatabase(dir: string, synchronous: 'normal' | 'full' | undefined): Database.Database {
  ensurePrivateDir(dir, 'spool directory');
  const file = join(dir, SPOOL_FILE);
  // SQLite gives its WAL file the database file's mode: both stay 0600.
  ensurePrivateFile(file);
  keepPrivate(`${file}-wal`);
  const db = openLocked(file);
  recordHolder(dir);
  db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  // better-sqlite3 builds SQLite with a 16 MB page cache, which the spool fills and keeps: 11 MB of
  // a 200-instrument gateway's resident memory (measured). It appends at its tail and reads just
  // behind it, and a replay reads older pages once: SQLite's own default (2 MB) holds that, and
  // replay throughput measured the same within this box's noise (npm run bench -- --scenario replay).
  db.pragma('cache_size = -2000');
  createSchema(db);
  return db;
}

/** The epoch stored with the spool, made once when the spool is created. */
export function storedEpoch(sql: SpoolStatements): string {
  const stored = sql.identity.get('epoch');
  if (stored !== undefined) return stored;
  const epoch = randomBytes(8).toString('hex');
  sql.setIdentity.run('epoch', epoch);
  return epoch;
}

/**
 * Opens the database with SQLite's exclusive lock: a second gateway on the same directory is
 * refused, and the kernel releases the lock when the process dies, even by SIGKILL.
 */
export function openLocked(file: string): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(file, { timeout: 0 });
  } catch (err) {
    throw new Error(`cannot open the spool ${file}: ${(err as Error).message}`);
  }
  try {
    // EXCLUSIVE before WAL: the WAL index then lives in our heap (no -shm file) and the lock is
    // taken by the first statement below.
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    db.prepare('BEGIN IMMEDIATE').run();
    db.prepare('COMMIT').run();
    return db;
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') {
      throw new SpoolLockedError(`the spool ${file} is in use by ${describeHolder(dirname(file))}: one gateway per spool directory`);
    }
    throw new Error(`cannot open the spool ${file}: ${(err as Error).message}`);
  }
}

/**
 * Creates the tables, or brings a spool written by an older version up to date: a spool from
 * before record kinds gets the `kind` column, every stored entry a reading batch (0), as it was.
 */
export function createSchema(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS entry (id INTEGER PRIMARY KEY, instrument TEXT NOT NULL, at INTEGER NOT NULL,
      n INTEGER NOT NULL, last_seq INTEGER NOT NULL, size INTEGER NOT NULL, payload TEXT NOT NULL,
      kind INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE IF NOT EXISTS consumer (name TEXT PRIMARY KEY, cursor INTEGER NOT NULL, dropped INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS last_seq (instrument TEXT PRIMARY KEY, seq INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS identity (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS entry_seq ON entry (instrument, last_seq);`);
  const columns = db
    .prepare<unknown[], { name: string }>('PRAGMA table_info(entry)')
    .all()
    .map((c) => c.name);
  if (!columns.includes('kind')) db.exec('ALTER TABLE entry ADD COLUMN kind INTEGER NOT NULL DEFAULT 0');
}

export type SpoolStatements = ReturnType<typeof prepareStatements>;

export function prepareStatements(db: Database.Database) {
  return {
    insert: db.prepare('INSERT INTO entry (id, instrument, at, n, last_seq, size, payload, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    read: db.prepare<unknown[], SpoolEntry>(
      `SELECT id, ${KIND_NAME}, instrument, n AS count, at, payload FROM entry WHERE id >= ? AND id < ? ORDER BY id LIMIT ?`,
    ),
    oldest: db.prepare<unknown[], Victim>(`SELECT id, ${KIND_NAME}, instrument, n AS count, size, at FROM entry WHERE id > ? ORDER BY id LIMIT ?`),
    firstAt: db.prepare<unknown[], number>('SELECT at FROM entry WHERE id >= ? ORDER BY id LIMIT 1').pluck(),
    deleteUpTo: db.prepare('DELETE FROM entry WHERE id <= ?'),
    deleteRange: db.prepare('DELETE FROM entry WHERE id >= ? AND id <= ?'),
    sizeUpTo: db.prepare<unknown[], { size: number; batches: number }>('SELECT total(size) AS size, count(*) AS batches FROM entry WHERE id <= ?'),
    maxId: db.prepare<unknown[], number>('SELECT max(id) FROM entry').pluck(),
    depth: db.prepare<unknown[], { n: number; batches: number }>('SELECT total(n) AS n, count(*) AS batches FROM entry WHERE id > ?'),
    consumers: db.prepare<unknown[], { name: string; cursor: number; dropped: number }>('SELECT name, cursor, dropped FROM consumer'),
    upsertConsumer: db.prepare(
      'INSERT INTO consumer (name, cursor, dropped) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET cursor = excluded.cursor, dropped = excluded.dropped',
    ),
    deleteConsumer: db.prepare('DELETE FROM consumer WHERE name = ?'),
    seqs: db.prepare<unknown[], { instrument: string; seq: number }>('SELECT instrument, seq FROM last_seq'),
    seqsAfter: db.prepare<unknown[], { instrument: string; seq: number }>(
      'SELECT instrument, max(last_seq) AS seq FROM entry WHERE id > ? AND kind = 0 GROUP BY instrument',
    ),
    upsertSeq: db.prepare('INSERT INTO last_seq (instrument, seq) VALUES (?, ?) ON CONFLICT(instrument) DO UPDATE SET seq = max(seq, excluded.seq)'),
    meta: db.prepare<unknown[], number>('SELECT value FROM meta WHERE key = ?').pluck(),
    setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
    identity: db.prepare<unknown[], string>('SELECT value FROM identity WHERE key = ?').pluck(),
    setIdentity: db.prepare('INSERT INTO identity (key, value) VALUES (?, ?)'),
    // Reading batches only: an event of the instrument holds no seq (its last_seq is 0).
    bySeq: db.prepare<unknown[], SpoolEntry>(
      `SELECT id, ${KIND_NAME}, instrument, n AS count, at, payload FROM entry WHERE instrument = ? AND last_seq >= ? AND last_seq <= ? AND last_seq - n < ? AND kind = 0 ORDER BY last_seq LIMIT ?`,
    ),
    readingsIn: db.prepare<unknown[], number>('SELECT total(n) FROM entry WHERE id > ? AND id <= ?').pluck(),
  };
}
