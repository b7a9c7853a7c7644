import type { SpoolStatements, Victim } from './sqlite-schema.js';

/**
 * The oldest entries while `more` says so, skipping those a consumer holds (in flight: they may
 * still be acknowledged, so counting them as dropped would make the count wrong). `removed` is
 * told each victim's size as it is chosen, so `more` sees the quota shrink.
 */
export function pickVictims(sql: SpoolStatements, held: ReadonlySet<number>, more: (e: Victim) => boolean, removed: (size: number) => void): Victim[] {
  const victims: Victim[] = [];
  let after = 0;
  for (;;) {
    const rows = sql.oldest.all(after, 256);
    if (rows.length === 0) return victims;
    for (const row of rows) {
      after = row.id;
      if (held.has(row.id)) continue;
      if (!more(row)) return victims;
      victims.push(row);
      removed(row.size);
    }
  }
}

/** Victims are runs of consecutive ids between held entries: one DELETE per run. */
export function deleteVictims(sql: SpoolStatements, victims: readonly Victim[]): void {
  if (victims.length === 0) return;
  let lo = victims[0]!.id;
  for (let i = 1; i <= victims.length; i++) {
    if (i < victims.length && victims[i]!.id === victims[i - 1]!.id + 1) continue;
    sql.deleteRange.run(lo, victims[i - 1]!.id);
    if (i < victims.length) lo = victims[i]!.id;
  }
}

/** The highest id ≤ maxId appended before `cutoff` (0 when none): entries are appended in time order. */
export function lastAppendedBefore(sql: SpoolStatements, cutoff: number, maxId: number): number {
  let last = 0;
  for (let after = 0; ; ) {
    const rows = sql.oldest.all(after, 256);
    if (rows.length === 0) return last;
    for (const row of rows) {
      if (row.id > maxId || row.at >= cutoff) return last;
      last = after = row.id;
    }
  }
}
