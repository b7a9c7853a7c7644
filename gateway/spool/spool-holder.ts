/**
 * Who holds a spool. SQLite's exclusive lock is what keeps a second gateway out (the kernel
 * drops it when its holder dies, even by SIGKILL), but it cannot say who holds it: the holder
 * writes `spool.holder` once it has the lock, and a refused gateway names it from there.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { PRIVATE_FILE, keepPrivate } from '../private-files.js';

export const HOLDER_FILE = 'spool.holder';

interface Holder {
  pid: number;
  host: string;
  since: string;
  command: string;
}

/** Called with the lock held: nobody else writes the file meanwhile. */
export function recordHolder(dir: string): void {
  const file = join(dir, HOLDER_FILE);
  const holder: Holder = { pid: process.pid, host: hostname(), since: new Date().toISOString(), command: process.argv.slice(1).join(' ') };
  writeFileSync(file, `${JSON.stringify(holder)}\n`, { mode: PRIVATE_FILE });
  keepPrivate(file);
}

/** "pid 4242 on edge-1 since 2026-…Z (…/main.js run --config site.yaml)", or what is known. */
export function describeHolder(dir: string): string {
  try {
    const h = JSON.parse(readFileSync(join(dir, HOLDER_FILE), 'utf8')) as Partial<Holder>;
    if (typeof h.pid !== 'number') return 'another process';
    return `pid ${h.pid} on ${h.host ?? '?'} since ${h.since ?? '?'} (${h.command ?? '?'})`;
  } catch {
    return 'another process (it left no spool.holder file)';
  }
}
