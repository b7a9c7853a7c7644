/**
 * Live records: the records dir is watched while the gateway runs, so a certificate imported with
 * `metrogate dcc import`, a record file placed there by hand, or one written by the API is in force
 * within seconds, raising exactly the events an API-added record raises.
 *
 * fs.watch gives the speed, a rescan every RESCAN_MS the certainty (watch events are lost on some
 * file systems, and a folder created later is not watched until the next scan). A file that cannot
 * be read yet (a copy still being written) is retried quietly while it is fresh; a broken one is
 * logged once, with its path and the reason, and the other records go on.
 */
import { mkdirSync, readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { AppliedLedger } from './applied-ledger.js';
import type { CalibrationRecord } from './record.js';
import { listRecords, readRecordEntry, type RecordEntry } from './record-store.js';

export const RESCAN_MS = 2000;
/** A file younger than this that does not parse is probably still being written: retried quietly. */
const SETTLE_MS = 2000;
const DEBOUNCE_MS = 100;

/** What live records need of the calibration engine (gateway/calibration/calibration-engine.ts). */
export interface RecordTaker {
  hasRecord(r: Pick<CalibrationRecord, 'instrument' | 'certificate' | 'channel'>): boolean;
  knows(instrument: string): boolean;
  adopt(record: CalibrationRecord, news: boolean): void;
  /** Notes every instrument's status now (the calendar tick): the "from" of the transitions news raises. */
  tick(): void;
}

export class LiveRecords {
  private readonly watchers = new Map<string, FSWatcher>();
  /** Problems already logged, by file and its size/mtime: one log line per broken version. */
  private readonly reported = new Set<string>();
  private ledger: AppliedLedger | null = null;
  private timer: NodeJS.Timeout | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private scanning: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly dir: string,
    private readonly engine: RecordTaker,
    private readonly log: Logger,
  ) {}

  /** The first scan (records that arrived while the gateway was down are news), then watching. */
  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    try {
      this.ledger = new AppliedLedger(this.dir);
    } catch (err) {
      this.log.error(
        { dir: this.dir, err: (err as Error).message },
        'calibration records: the ledger of applied records is unreadable; records on disk are taken as history',
      );
    }
    await this.rescan('start');
    this.timer = setInterval(() => void this.rescan('periodic'), RESCAN_MS);
    this.timer.unref();
  }

  /** Scans one at a time; a reload (SIGHUP, --watch) or a watch event asks for one. */
  rescan(why: string): Promise<void> {
    this.scanning = this.scanning.then(() => (this.stopped ? undefined : this.scan(why)));
    return this.scanning;
  }

  /** A record this gateway stored itself (the API): noted at once, so a crash cannot make it news again. */
  noteApplied(record: CalibrationRecord): void {
    this.ledger?.note(record);
    try {
      this.ledger?.save();
    } catch (err) {
      this.log.warn({ dir: this.dir, err: (err as Error).message }, 'calibration records: cannot write the ledger of applied records');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    await this.scanning;
  }

  private scan(why: string): void {
    let entries: RecordEntry[];
    try {
      entries = listRecords(this.dir);
    } catch (err) {
      this.once(`dir:${(err as Error).message}`, () =>
        this.log.error({ dir: this.dir, err: (err as Error).message }, 'calibration records dir unreadable; retrying'),
      );
      return;
    }
    this.watchFolders();
    // First run with a ledger: what is on disk already is history, not news.
    const baseline = this.ledger !== null && !this.ledger.existed && why === 'start';
    // History first, then news in calibration order: a new record's suspect period starts at the
    // last good calibration, which may be a record loaded in this same scan.
    const found: { record: CalibrationRecord; file: string; news: boolean }[] = [];
    for (const entry of entries) {
      if (this.engine.hasRecord(entry)) {
        this.ledger?.note(entry);
        continue;
      }
      const record = this.read(entry);
      if (record) found.push({ record, file: entry.file, news: !baseline && this.ledger !== null && !this.ledger.has(record) });
    }
    found.sort((x, y) => Number(x.news) - Number(y.news) || x.record.calibrated.localeCompare(y.record.calibrated));
    let applied = 0;
    let noted = why !== 'start';
    for (const f of found) {
      // At start nothing has noted a status yet: note the one history gives, so news raises its
      // transition from there, exactly as it would have while running.
      if (f.news && !noted) {
        this.engine.tick();
        noted = true;
      }
      if (this.take(f.record, f.file, f.news)) applied++;
    }
    try {
      this.ledger?.save();
    } catch (err) {
      this.log.warn({ dir: this.dir, err: (err as Error).message }, 'calibration records: cannot write the ledger of applied records');
    }
    if (applied > 0) this.log.info({ dir: this.dir, why, applied }, 'calibration records applied from the records dir');
  }

  /** One record file, or null when it is not readable (yet): logged once per version when it stays so. */
  private read(entry: RecordEntry): CalibrationRecord | null {
    let version = entry.file;
    try {
      const st = statSync(entry.file);
      version = `${entry.file}:${st.size}:${st.mtimeMs}`;
      if (this.reported.has(`broken:${version}`)) return null;
      try {
        return readRecordEntry(entry);
      } catch (err) {
        if (Date.now() - st.mtimeMs < SETTLE_MS) return null; // probably still being written
        throw err;
      }
    } catch (err) {
      this.once(`broken:${version}`, () =>
        this.log.error({ file: entry.file, err: (err as Error).message }, 'calibration record file not applied; the other records are'),
      );
      return null;
    }
  }

  /** Applies one record; true when it took effect. */
  private take(record: CalibrationRecord, file: string, news: boolean): boolean {
    if (!this.engine.knows(record.instrument)) {
      this.ledger?.note(record);
      this.once(`unknown:${file}`, () =>
        this.log.warn({ file, instrument: record.instrument }, 'calibration record for an instrument not in this config: kept, not used'),
      );
      return false;
    }
    try {
      this.engine.adopt(record, news);
    } catch (err) {
      this.once(`refused:${file}`, () => this.log.error({ file, err: (err as Error).message }, 'calibration record file not applied; the other records are'));
      return false;
    }
    this.ledger?.note(record);
    if (news)
      this.log.info(
        { file, instrument: record.instrument, channel: record.channel, certificate: record.certificate },
        'new calibration record from the records dir',
      );
    return true;
  }

  private once(key: string, report: () => void): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    report();
  }

  /** The dir and each instrument folder (fs.watch is not recursive everywhere); a new folder fires the dir's watch. */
  private watchFolders(): void {
    if (this.stopped) return;
    const folders = [this.dir];
    try {
      for (const d of readdirSync(this.dir, { withFileTypes: true })) if (d.isDirectory() && !d.name.startsWith('.')) folders.push(join(this.dir, d.name));
    } catch {
      return; // reported by the scan
    }
    for (const folder of folders) {
      if (this.watchers.has(folder)) continue;
      try {
        const w = watch(folder, () => this.soon());
        w.on('error', () => {
          w.close();
          this.watchers.delete(folder);
        });
        this.watchers.set(folder, w);
      } catch {
        // Gone meanwhile, or a file system without inotify: the periodic rescan still finds it.
      }
    }
  }

  private soon(): void {
    if (this.stopped) return;
    if (this.debounce) this.debounce.refresh();
    else {
      this.debounce = setTimeout(() => {
        this.debounce = null;
        void this.rescan('changed');
      }, DEBOUNCE_MS);
    }
  }
}
