/**
 * Cost of calibration tagging per reading, in the process (no I/O): status only, and with an
 * error-table correction plus GUM uncertainty. The Modbus scenario shows the effect end to end.
 */
import type { InstrumentConfig } from '../../config/schema.js';
import { CalibrationEngine } from '../../gateway/calibration/calibration-engine.js';
import type { CalibrationRecord } from '../../gateway/calibration/record.js';
import { silentLogger } from '../../gateway/log.js';
import type { Reading } from '../../gateway/reading.js';

const CHANNELS = 50;
const instrument: InstrumentConfig = {
  id: 'bench',
  protocol: 'modbus-tcp',
  connection: { host: '127.0.0.1', port: 1, unitId: 1, timeoutMs: 100 },
  pollIntervalMs: 1000,
  maxGap: 8,
  maxRegistersPerRead: 125,
  channels: Array.from({ length: CHANNELS }, (_, i) => ({
    id: `r${i}`,
    function: 'holding' as const,
    address: i,
    type: 'uint16',
    order: 'ABCD' as const,
    scale: 1,
    offset: 0,
    quantity: 'signal',
    unit: 'V',
  })),
};
const today = new Date();
const iso = (d: Date) => d.toISOString().slice(0, 10);
const record = (errorTable: CalibrationRecord['errorTable']): CalibrationRecord => ({
  certificate: 'B-1',
  instrument: 'bench',
  kind: 'calibration',
  unit: 'V',
  errorTable,
  traceability: [],
  source: 'api',
  calibrated: iso(new Date(today.getTime() - 100 * 86_400_000)),
  due: iso(new Date(today.getTime() + 200 * 86_400_000)),
  resolution: 0.001,
});

function measure(records: CalibrationRecord[], n: number): number {
  const engine = new CalibrationEngine({ site: 'b', instruments: [instrument], records, log: silentLogger() });
  const batch: Reading[] = Array.from({ length: CHANNELS }, (_, i) => ({
    site: 'b',
    instrument: 'bench',
    channel: `r${i}`,
    quantity: 'signal',
    unit: 'V',
    ts: Date.now(),
    seq: i,
    raw: 5 + i / 10,
    value: 5 + i / 10,
    quality: 'good',
    cal: { status: 'uncalibrated', certificate: null, due: null, daysToDue: null, traceable: false },
  }));
  for (let w = 0; w < 20_000; w++) for (const r of batch) engine.tag(r);
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < n / CHANNELS; k++) {
    const ts = Date.now();
    for (const r of batch) {
      r.ts = ts;
      r.value = r.raw;
      engine.tag(r);
    }
  }
  return Number(process.hrtime.bigint() - t0) / n;
}

export function taggingCost(n = 2_000_000): { none: number; statusOnly: number; corrected: number } {
  const table = Array.from({ length: 11 }, (_, i) => ({ reference: i, indication: i + 0.001 * i, error: 0.001 * i, U: 0.002, k: 2 }));
  return { none: measure([], n), statusOnly: measure([record([])], n), corrected: measure([record(table)], n) };
}

export function printTagging(r: ReturnType<typeof taggingCost>): void {
  console.log('\ncalibration tagging per reading (in process, 2,000,000 readings):');
  console.log(`  no record                          ${r.none.toFixed(0)} ns`);
  console.log(`  status from a certificate          ${r.statusOnly.toFixed(0)} ns`);
  console.log(`  + error-table correction and u     ${r.corrected.toFixed(0)} ns`);
  console.log(JSON.stringify({ bench: 'tagging', nsPerReading: r }));
}
