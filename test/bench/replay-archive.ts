/**
 * The outage the replay scenario replays: 20 instruments × 50 channels polled once a second two
 * days ago, spooled because no destination took them. The same points feed the baselines.
 */
import type { Reading, ReadingBatch } from '../../gateway/reading.js';
import { encodeBatch } from '../../gateway/spool/batch-codec.js';
import { SqliteSpool } from '../../gateway/spool/sqlite-spool.js';

export const ARCHIVE_SITE = 'archive';
const INSTRUMENTS = 20;
export const CHANNELS = 50;
const cal = Object.freeze({ status: 'valid' as const, certificate: 'BENCH-CAL', due: '2027-01-01', daysToDue: 30, traceable: true });

/** Poll cycle `i` of the archive: instrument i % 20, one second apart per instrument, two days ago. */
export function archiveBatch(i: number, t0: number): ReadingBatch {
  const instrument = `archive-${i % INSTRUMENTS}`;
  const cycle = Math.floor(i / INSTRUMENTS);
  const readings: Reading[] = [];
  for (let c = 0; c < CHANNELS; c++) {
    const v = 10_000 + ((cycle * 7 + c * 13) % 1000);
    readings.push({
      site: ARCHIVE_SITE,
      instrument,
      channel: `r${String(c).padStart(3, '0')}`,
      quantity: 'signal',
      unit: '',
      ts: t0 + cycle * 1000,
      seq: cycle * CHANNELS + c + 1,
      raw: v,
      value: v,
      quality: 'good',
      cal,
    });
  }
  return { site: ARCHIVE_SITE, instrument, readings };
}

/** Fills the spool the gateway will open, as an outage of readings/50 poll cycles would have, for `consumer` only. */
export function fillSpool(dir: string, consumer: string, readings: number, t0: number): void {
  const spool = new SqliteSpool({ dir, consumers: [consumer] });
  const batches = Math.ceil(readings / CHANNELS);
  for (let i = 0; i < batches; i += 500) {
    const inputs = [];
    for (let j = i; j < Math.min(i + 500, batches); j++) {
      const b = archiveBatch(j, t0);
      inputs.push({ instrument: b.instrument, count: b.readings.length, lastSeq: b.readings.at(-1)!.seq, payload: encodeBatch(b) });
    }
    spool.append(inputs, t0);
  }
  spool.close();
}
