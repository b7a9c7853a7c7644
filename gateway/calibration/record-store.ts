/**
 * Calibration records on disk: one JSON file per record, `<recordsDir>/<instrument>/<certificate>.json`,
 * or `<certificate>@<channel>.json` for a record of one channel (one certificate often covers several
 * channels of an instrument, each imported in its own unit). One file per record keeps history
 * append-only and readable by hand or by git; a write goes to a
 * temporary file first and is then renamed (or hard-linked, to refuse an existing one atomically),
 * so a crash never leaves half a record.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { PRIVATE_FILE, ensurePrivateDir, makePrivate } from '../private-files.js';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import type { CalibrationRecord } from './record.js';
import { CalibrationRecordSchema } from './record-schema.js';

export const DEFAULT_RECORDS_DIR = './calibration-records';

const validate = new Ajv({ allErrors: true }).compile<CalibrationRecord>(CalibrationRecordSchema);

/** A record file that cannot be read, or a write that was refused; `file` says which. */
export class RecordStoreError extends Error {
  override readonly name = 'RecordStoreError';
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

/**
 * File names keep letters, digits, `_`, `-` and inner dots; everything else is %-encoded (UTF-8),
 * so `Id 123/45` and `Id_123_45` stay two files and names decode back to the certificate id.
 */
export function safeName(id: string): string {
  if (id === '') throw new Error('empty id');
  const name = [...Buffer.from(id, 'utf8')]
    .map((b, i) => {
      const c = String.fromCharCode(b);
      return /[A-Za-z0-9_-]/.test(c) || (c === '.' && i > 0) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
  if (name.length > 200) throw new Error(`id too long for a file name (${name.length} characters encoded)`);
  return name;
}

/** `@` separates the channel: safeName encodes every `@` inside an id, so the split is unambiguous. */
export function recordPath(dir: string, instrument: string, certificate: string, channel?: string): string {
  const name = channel === undefined ? safeName(certificate) : `${safeName(certificate)}@${safeName(channel)}`;
  return join(dir, safeName(instrument), `${name}.json`);
}

/** The records dir of a config: relative paths are taken from the config file's folder, like a service would. */
export function recordsDirOf(configured: string | undefined, configFile: string): string {
  const dir = configured ?? DEFAULT_RECORDS_DIR;
  return isAbsolute(dir) ? dir : resolve(dirname(configFile), dir);
}

export interface SaveOptions {
  /** Overwrite a different record stored under the same certificate id. */
  replace?: boolean;
}

export type SaveOutcome = 'created' | 'unchanged' | 'replaced';

/** Compared without `sourceFile`: the same certificate imported from a copy is the same record. */
function sameRecord(a: CalibrationRecord, b: CalibrationRecord): boolean {
  const { sourceFile: _a, ...ra } = a;
  const { sourceFile: _b, ...rb } = b;
  return JSON.stringify(ra) === JSON.stringify(rb);
}

/** What saving would do, without writing: for dry runs and for checking a batch before any write. */
export function planSave(dir: string, record: CalibrationRecord, opts: SaveOptions = {}): { file: string; outcome: SaveOutcome } {
  checkRecord(record, '(new record)');
  const file = recordPath(dir, record.instrument, record.certificate, record.channel);
  if (!existsSync(file)) return { file, outcome: 'created' };
  const existing = readRecord(file);
  if (sameRecord(existing, record)) return { file, outcome: 'unchanged' };
  if (!opts.replace) {
    throw new RecordStoreError(
      file,
      `already holds a different record for certificate ${record.certificate}${record.channel === undefined ? '' : ` (channel ${record.channel})`}${existing.sourceFile ? ` (imported from ${existing.sourceFile})` : ''}; use --replace to overwrite it`,
    );
  }
  return { file, outcome: 'replaced' };
}

export function saveRecord(dir: string, record: CalibrationRecord, opts: SaveOptions = {}): { file: string; outcome: SaveOutcome } {
  const plan = planSave(dir, record, opts);
  if (plan.outcome === 'unchanged') return plan;
  const folder = dirname(plan.file);
  ensurePrivateDir(folder, 'calibration records directory');
  const tmp = join(folder, `.${safeName(record.certificate)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', PRIVATE_FILE);
  try {
    makePrivate(fd);
    writeSync(fd, `${JSON.stringify(record, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    if (plan.outcome === 'replaced') renameSync(tmp, plan.file);
    else {
      // link() fails when the name exists: a record created meanwhile by another import is not overwritten.
      linkSync(tmp, plan.file);
      unlinkSync(tmp);
    }
  } catch (err) {
    if (existsSync(tmp)) unlinkSync(tmp);
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new RecordStoreError(plan.file, 'was created by someone else meanwhile; run again');
    throw err;
  }
  syncDir(folder);
  return plan;
}

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some file systems refuse fsync on a directory; the rename itself is still atomic.
  }
}

function checkRecord(record: unknown, file: string): asserts record is CalibrationRecord {
  if (!validate(record)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
    throw new RecordStoreError(file, `not a valid calibration record: ${problems.join('; ')}`);
  }
  for (const key of ['calibrated', 'due', 'issued'] as const) {
    const date = record[key];
    if (date !== undefined && new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) !== date)
      throw new RecordStoreError(file, `${key} ${date} is not a real date`);
  }
  if (record.due <= record.calibrated) throw new RecordStoreError(file, `due ${record.due} is not after calibrated ${record.calibrated}`);
}

function readRecord(file: string): CalibrationRecord {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new RecordStoreError(file, `cannot read: ${(err as Error).message}`);
  }
  checkRecord(data, file);
  return data;
}

export interface RecordEntry {
  file: string;
  instrument: string;
  certificate: string;
  channel?: string;
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name);
  } catch {
    return name; // not written by safeName; the record inside will not match its path and be reported
  }
}

/** The record files under `dir` (none when it does not exist yet), by instrument then certificate. */
export function listRecords(dir: string): RecordEntry[] {
  if (!existsSync(dir)) return [];
  const out: RecordEntry[] = [];
  for (const inst of readdirSync(dir, { withFileTypes: true })) {
    if (!inst.isDirectory() || inst.name.startsWith('.')) continue;
    for (const f of readdirSync(join(dir, inst.name), { withFileTypes: true })) {
      if (!f.isFile() || !f.name.endsWith('.json') || f.name.startsWith('.')) continue;
      const [cert, channel] = f.name.slice(0, -'.json'.length).split('@', 2) as [string, string | undefined];
      const entry: RecordEntry = { file: join(dir, inst.name, f.name), instrument: decodeName(inst.name), certificate: decodeName(cert) };
      if (channel !== undefined) entry.channel = decodeName(channel);
      out.push(entry);
    }
  }
  return out.sort(
    (a, b) => a.instrument.localeCompare(b.instrument) || a.certificate.localeCompare(b.certificate) || (a.channel ?? '').localeCompare(b.channel ?? ''),
  );
}

/**
 * Every record, validated, by instrument and calibration date (oldest first). A broken file is
 * never skipped: all broken files are reported together, each with its path, so one look at the
 * error is enough to repair the store.
 */
export function loadRecords(dir: string): CalibrationRecord[] {
  const records: CalibrationRecord[] = [];
  const problems: RecordStoreError[] = [];
  for (const entry of listRecords(dir)) {
    try {
      records.push(readRecordEntry(entry));
    } catch (err) {
      problems.push(err instanceof RecordStoreError ? err : new RecordStoreError(entry.file, String(err)));
    }
  }
  if (problems.length === 1) throw problems[0]!;
  if (problems.length > 1) throw new RecordStoreError(dir, `${problems.length} broken record files:\n${problems.map((p) => `  ${p.message}`).join('\n')}`);
  return records.sort(
    (a, b) => a.instrument.localeCompare(b.instrument) || a.calibrated.localeCompare(b.calibrated) || a.certificate.localeCompare(b.certificate),
  );
}

/** One record file, validated, and checked to hold the record its path names. */
export function readRecordEntry(entry: RecordEntry): CalibrationRecord {
  const record = readRecord(entry.file);
  const said = (x: { instrument: string; certificate: string; channel?: string }) =>
    `instrument "${x.instrument}" certificate "${x.certificate}"${x.channel === undefined ? '' : ` channel "${x.channel}"`}`;
  if (said(record) !== said(entry)) throw new RecordStoreError(entry.file, `holds ${said(record)}, but its path says ${said(entry)}`);
  return record;
}
