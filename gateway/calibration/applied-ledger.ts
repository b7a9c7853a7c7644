/**
 * Which records of the records dir a gateway has already seen, kept beside them in
 * `<recordsDir>/.applied.json`, so that a record that arrived while the gateway was down (a
 * certificate imported with `metrogate dcc import` before a restart) is news at the next start,
 * with the events an API-added record raises, and not quietly history.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LEDGER_FILE = '.applied.json';

export interface RecordKey {
  instrument: string;
  certificate: string;
  channel?: string | undefined;
}

const keyOf = (r: RecordKey): string => JSON.stringify([r.instrument, r.certificate, r.channel ?? null]);

export class AppliedLedger {
  private readonly keys = new Set<string>();
  private dirty = false;
  /** False on the first run with a ledger: whatever is on disk then is history. */
  readonly existed: boolean;

  constructor(private readonly dir: string) {
    const file = join(dir, LEDGER_FILE);
    this.existed = existsSync(file);
    if (!this.existed) return;
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { v?: number; records?: unknown };
    if (doc.v !== 1 || !Array.isArray(doc.records)) throw new Error(`${file}: not a metrogate ledger (expected {"v":1,"records":[…]})`);
    for (const k of doc.records) this.keys.add(JSON.stringify(k));
  }

  has(r: RecordKey): boolean {
    return this.keys.has(keyOf(r));
  }

  note(r: RecordKey): void {
    const k = keyOf(r);
    if (this.keys.has(k)) return;
    this.keys.add(k);
    this.dirty = true;
  }

  /** Written whole to a temporary file and renamed: a crash leaves the old ledger or the new one. */
  save(): void {
    if (!this.dirty) return;
    const file = join(this.dir, LEDGER_FILE);
    const records = [...this.keys].sort().map((k) => JSON.parse(k) as unknown);
    writeFileSync(`${file}.tmp`, `${JSON.stringify({ v: 1, records }, null, 1)}\n`, { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
    this.dirty = false;
  }
}
