import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LEDGER_FILE } from '../../gateway/calibration/applied-ledger.js';
import { LiveRecords } from '../../gateway/calibration/live-records.js';
import type { CalibrationRecord } from '../../gateway/calibration/record.js';
import { recordPath } from '../../gateway/calibration/record-store.js';
import { BATH, engineWith, record } from '../support/calibration-fixture.js';
import { until } from '../support/until.js';

/**
 * The records dir as a real folder on a real file system, watched by LiveRecords feeding a real
 * calibration engine: what arrives by rename, what is refused, what is news and what is history.
 */
const root = mkdtempSync(join(tmpdir(), 'metrogate-live-folder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const running: LiveRecords[] = [];
afterEach(async () => {
  for (const l of running.splice(0)) await l.stop();
});

const failing = (certificate: string, calibrated = '2026-03-01'): CalibrationRecord =>
  record({
    certificate,
    calibrated,
    due: '2027-03-01',
    mpe: 0.1,
    asFound: [{ reference: 20, indication: 20.5, error: 0.5 }],
    errorTable: [{ reference: 20, indication: 20.01, error: 0.01 }],
  });

function setup() {
  const dir = join(root, `lab-${++n}`);
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
  const now = { t: new Date('2026-06-01T12:00:00').getTime() };
  const start = async () => {
    const { engine, events } = engineWith([], now);
    const live = new LiveRecords(dir, engine, log);
    running.push(live);
    await live.start();
    return { engine, events, live };
  };
  const place = (r: CalibrationRecord) => {
    const file = recordPath(dir, r.instrument, r.certificate, r.channel);
    mkdirSync(join(dir, r.instrument), { recursive: true });
    // As an editor or `cp` followed by `mv` does: written under a hidden name, then renamed into place.
    const tmp = join(dir, r.instrument, `.${r.certificate}.part`);
    writeFileSync(tmp, JSON.stringify(r));
    renameSync(tmp, file);
    return file;
  };
  return { dir, lines, start, place };
}

describe('live records on a real folder', () => {
  it('a record renamed into the folder is applied with the events of an API-added one, well before the periodic rescan', async () => {
    const { start, place } = setup();
    const { engine, events } = await start();
    engine.tick(); // the state a running gateway has: its status noted (by readings or the calendar tick)
    const placed = Date.now();
    place(failing('REN-1'));
    await until(() => events.some((e) => e.kind === 'suspect' && e.certificate === 'REN-1'), 'the suspect event of REN-1', 5000);
    // fs.watch, not the 2 s rescan, found it.
    expect(Date.now() - placed).toBeLessThan(1500);
    expect(events.map((e) => [e.kind, e.from, e.to, e.certificate])).toEqual([
      ['transition', 'uncalibrated', 'valid', 'REN-1'],
      ['suspect', null, 'out_of_tolerance', 'REN-1'],
    ]);
    expect(engine.statusOf('bath', 'temperature')).toMatchObject({ certificate: 'REN-1', status: 'valid' });
  });

  it('refuses a record naming a channel the instrument lacks, and one of an unknown instrument, once each in the log; the others apply', async () => {
    const { start, place, lines } = setup();
    const { engine } = await start();
    const badChannel = place(record({ certificate: 'NOCH', channel: 'humidity', calibrated: '2026-02-01', due: '2027-02-01' }));
    const stranger = place(record({ certificate: 'ELSE', instrument: 'balance', calibrated: '2026-02-01', due: '2027-02-01' }));
    place(failing('GOOD'));
    await until(() => engine.hasRecord({ instrument: 'bath', certificate: 'GOOD' }), 'the good record', 5000);
    await until(() => lines.some((l) => l.file === badChannel), 'the line about the unknown channel', 5000);
    await new Promise((r) => setTimeout(r, 2500)); // one periodic rescan more: nothing is logged twice
    expect(lines.filter((l) => l.file === badChannel)).toEqual([
      expect.objectContaining({ err: 'instrument bath has no channel "humidity"', msg: 'calibration record file not applied; the other records are' }),
    ]);
    expect(lines.filter((l) => l.file === stranger)).toEqual([
      expect.objectContaining({ instrument: 'balance', msg: 'calibration record for an instrument not in this config: kept, not used' }),
    ]);
  });

  it('a reload that adds the instrument applies its record kept meanwhile, quietly (it was seen before)', async () => {
    const { start, place } = setup();
    const { engine, events, live } = await start();
    place(record({ certificate: 'LATER', instrument: 'bath2', calibrated: '2026-02-01', due: '2027-02-01' }));
    await live.rescan('test');
    expect(engine.knows('bath2')).toBe(false);
    engine.setInstruments([BATH, { ...BATH, id: 'bath2' }]);
    await live.rescan('reload');
    expect(engine.statusOf('bath2')).toMatchObject({ status: 'valid', certificate: 'LATER' });
    expect(events).toEqual([]);
  });

  it('first start takes what is on disk as history; later, a record the ledger has not seen is news, one it has seen stays history', async () => {
    const { dir, start, place } = setup();
    // Expired by now (2026-06-01): the record that arrived while the gateway was down renews it.
    place({ ...failing('OLD', '2025-01-10'), due: '2026-01-10' });
    const first = await start();
    expect(first.events).toEqual([]);
    expect(first.engine.hasRecord({ instrument: 'bath', certificate: 'OLD' })).toBe(true);
    await first.live.stop();
    expect(JSON.parse(readFileSync(join(dir, LEDGER_FILE), 'utf8'))).toEqual({ v: 1, records: [['bath', 'OLD', null]] });

    place(failing('WHILE-DOWN', '2026-04-01'));
    const second = await start();
    expect(second.events.map((e) => [e.kind, e.from, e.to, e.certificate, e.suspectFrom])).toEqual([
      ['transition', 'expired', 'valid', 'WHILE-DOWN', undefined],
      ['suspect', null, 'out_of_tolerance', 'WHILE-DOWN', new Date('2025-01-10T00:00:00').getTime()],
    ]);
  });
});
