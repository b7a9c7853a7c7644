import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CalibrationRecord } from '../../gateway/calibration/record.js';
import { recordPath } from '../../gateway/calibration/record-store.js';
import { localDate } from '../support/e2e-fixture.js';
import { influxSeries, rowsOf } from '../support/influx-query.js';
import {
  CERT,
  errorAt,
  FIXTURE,
  SHARED,
  startLiveRecordsLab,
  TOKEN,
  validateEvent,
  validateStatus,
  type Json,
  type LiveRecordsLab,
} from '../support/live-records-lab.js';
import { until } from '../support/until.js';

/**
 * Live records, end to end, the way a quality manager works: the gateway runs on real servers
 * while certificates arrive (the CLI importing into the records dir, a DCC uploaded to the API, a
 * record file copied in by hand, an import while the gateway was down). Each must be in force
 * within 5 s with the events of an API-added record: the suspect event on MQTT, the `cal_event`
 * point in InfluxDB, the impact report written by this (the owning) gateway, and new readings
 * corrected by the new table. Before live records, none of this happened until a restart. The
 * tests run in order on one gateway: the restart at the end checks that what the others applied
 * stays history.
 */
describe('live records: certificates reach the running gateway within seconds', { timeout: 120_000 }, () => {
  let lab: LiveRecordsLab;

  beforeAll(async () => {
    lab = await startLiveRecordsLab(inject('mqttUrl'), inject('influxUrl'));
  });
  afterAll(async () => {
    await lab?.close();
  });

  it('`metrogate dcc import` while the gateway runs: suspect event, cal_event, impact report and corrected readings within 5 s', async () => {
    expect((lab.lastStatus('pressure-01')!.cal as Json).status).toBe('uncalibrated');
    const res = await lab.importDcc(FIXTURE, 'pressure');
    expect(res.code, res.stderr).toBe(0);
    const imported = Date.now();
    expect(await lab.suspectFound('pressure-01', 'pressure', CERT, imported)).toBeLessThan(5000);
    await until(() => lab.readingsOf('pressure-01', 'pressure').some((r) => r.cal.certificate === CERT), 'a reading tagged with the new certificate', 5000);
    expect(Date.now() - imported).toBeLessThan(5000);

    const corrected = lab.readingsOf('pressure-01', 'pressure').filter((r) => r.cal.certificate === CERT);
    for (const r of corrected) {
      expect(r.value).toBeCloseTo(r.raw - errorAt(r.raw), 9);
      expect(r.cal.status).toBe('valid');
      expect(r.u).toBeGreaterThan(0);
    }
    const [suspect] = lab.events('pressure-01', 'suspect', 'pressure');
    expect(suspect).toMatchObject({
      certificate: CERT,
      to: 'out_of_tolerance',
      suspectFrom: 0,
      suspectTo: new Date('2026-09-01T00:00:00').getTime(),
      asFoundError: 0.15,
      mpe: 0.05,
    });
    // The same transition an API-added record raises: the channel leaves the (uncalibrated) instrument's status.
    expect(lab.events('pressure-01', 'transition', 'pressure')).toEqual([
      expect.objectContaining({ from: 'uncalibrated', to: 'valid', certificate: CERT, reason: `new record ${CERT}` }),
    ]);
  });

  it('the impact report is written by the owning gateway, names its count, and is announced with where it is', async () => {
    const { config, reports } = lab;
    const file = join(reports, `pressure-01.pressure-${CERT}-impact.json`);
    const report = JSON.parse(readFileSync(file, 'utf8')) as Json;
    const [counted] = rowsOf(
      await influxSeries(
        config.influx!.url,
        config.influx!.database,
        `SELECT count("seq") AS "n" FROM "reading" WHERE "instrument" = 'pressure-01' AND "channel" = 'pressure' AND time < ${new Date('2026-09-01T00:00:00').getTime()}ms`,
      ),
    );
    expect(report).toMatchObject({
      gateway: 'e2e-gw',
      instrument: 'pressure-01',
      channel: 'pressure',
      certificate: CERT,
      readingsAffected: Number(counted?.n ?? 0),
      asFoundError: 0.15,
      mpe: 0.05,
    });
    await until(() => lab.events('pressure-01', 'impact_report', 'pressure').length > 0, 'the impact_report event', 5000);
    expect(lab.events('pressure-01', 'impact_report', 'pressure')[0]).toMatchObject({
      reportFile: join(reports, `pressure-01.pressure-${CERT}-impact.md`),
      readingsAffected: report.readingsAffected,
    });
    await until(async () => (await lab.calEvents('pressure-01', 'impact_report')).length > 0, 'the impact_report cal_event point', 5000);
    expect((await lab.calEvents('pressure-01', 'impact_report'))[0]).toMatchObject({ report_file: join(reports, `pressure-01.pressure-${CERT}-impact.md`) });
    expect(readFileSync(file.replace(/\.json$/, '.md'), 'utf8')).toContain(`Readings affected: ${report.readingsAffected}`);
  });

  it("a certificate of one channel makes the instrument's retained status valid; each channel shows its own", async () => {
    await until(() => (lab.lastStatus('pressure-01')?.cal as Json | undefined)?.status === 'valid', 'the retained status of pressure-01 turning valid', 5000);
    const status = lab.lastStatus('pressure-01')!;
    expect(status.cal).toMatchObject({ status: 'valid', certificate: CERT, traceable: true });
    expect(status.channels).toEqual([
      expect.objectContaining({ channel: 'pressure', hasRecord: true, status: 'valid', certificate: CERT }),
      expect.objectContaining({ channel: 'setpoint', hasRecord: false, status: 'uncalibrated', certificate: null }),
      expect.objectContaining({ channel: 'stable', hasRecord: false, status: 'uncalibrated' }),
    ]);
    const view = (await (await fetch(new URL('/api/instruments/pressure-01', lab.api.url))).json()) as Json;
    expect(view.calibration).toMatchObject({ status: 'valid', certificate: CERT });
    expect((view.channels as Json[]).map((c) => [c.id, (c.calibration as Json).status, (c.calibration as Json).hasRecord])).toEqual([
      ['pressure', 'valid', true],
      ['setpoint', 'uncalibrated', false],
      ['stable', 'uncalibrated', false],
    ]);
    const list = (await (await fetch(new URL('/api/calibration?instrument=pressure-01', lab.api.url))).json()) as {
      instruments: Json[];
      records: CalibrationRecord[];
    };
    expect(list.instruments).toEqual([
      expect.objectContaining({ instrument: 'pressure-01', calibration: expect.objectContaining({ status: 'valid', certificate: CERT }) }),
    ]);
    expect((list.instruments[0]!.channels as Json[]).map((c) => [c.channel, c.status, c.hasRecord])).toEqual([
      ['pressure', 'valid', true],
      ['setpoint', 'uncalibrated', false],
      ['stable', 'uncalibrated', false],
    ]);
    expect(list.records.map((r) => r.certificate)).toEqual([CERT]);
  });

  it('POST /api/calibration/dcc: the same checks as the CLI, a clear 4xx naming what failed, and the same events', async () => {
    const { records } = lab;
    const xml = readFileSync(FIXTURE, 'utf8').replaceAll(CERT, `${CERT}-U`);
    const post = (query: string, body: string, headers: Record<string, string> = {}) =>
      fetch(new URL(`/api/calibration/dcc?${query}`, lab.api.url), {
        method: 'POST',
        headers: { 'content-type': 'application/xml', authorization: `Bearer ${TOKEN}`, ...headers },
        body,
      });
    const q = `instrument=pressure-01&channel=setpoint&due=${localDate(365)}`;

    expect((await post(q, xml, { authorization: 'Bearer wrong-token-wrong-token' })).status).toBe(401);
    const missing = await post(`instrument=nope&due=${localDate(365)}`, xml);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as Json).message).toContain('no instrument "nope"');
    const ambiguous = await post(`instrument=pressure-01&due=${localDate(365)}`, xml);
    expect(ambiguous.status).toBe(400);
    expect(((await ambiguous.json()) as Json).message).toContain('channels pressure (kPa), setpoint (kPa): give the channel');
    const broken = await post(q, xml.replace('<d:endPerformanceDate>2026-09-01</d:endPerformanceDate>', ''));
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as Json).message).toMatch(/endPerformanceDate/);
    expect((await post(q, 'x'.repeat(5 * 1024 * 1024))).status).toBe(413);
    expect((await post(q, xml, { 'content-type': 'application/octet-stream' })).status).toBe(415);
    expect(existsSync(recordPath(records, 'pressure-01', `${CERT}-U`, 'setpoint'))).toBe(false);

    const sent = Date.now();
    const ok = await post(q, xml);
    const body = (await ok.json()) as { records: CalibrationRecord[] };
    expect(ok.status, JSON.stringify(body)).toBe(201);
    expect(body.records).toEqual([
      expect.objectContaining({ certificate: `${CERT}-U`, instrument: 'pressure-01', channel: 'setpoint', unit: 'kPa', source: 'dcc' }),
    ]);
    expect(JSON.parse(readFileSync(recordPath(records, 'pressure-01', `${CERT}-U`, 'setpoint'), 'utf8'))).toEqual(body.records[0]);
    expect(await lab.suspectFound('pressure-01', 'setpoint', `${CERT}-U`, sent)).toBeLessThan(5000);
    await until(
      () => lab.readingsOf('pressure-01', 'setpoint').some((r) => r.cal.certificate === `${CERT}-U`),
      'a setpoint reading with the uploaded certificate',
      5000,
    );
    for (const r of lab.readingsOf('pressure-01', 'setpoint').filter((x) => x.cal.certificate === `${CERT}-U`))
      expect(r.value).toBeCloseTo(r.raw - errorAt(r.raw), 9);

    const again = await post(q, xml);
    expect(again.status).toBe(409);
    expect(((await again.json()) as Json).message).toContain(`certificate ${CERT}-U is already recorded`);

    // The signature check of the CLI: a changed signed certificate is refused, the signed one keeps its verification.
    const sq = 'instrument=bath-01&channel=setpoint';
    const changed = await post(sq, readFileSync(join(SHARED, 'dcc_gp_temperature_typical_v12_signed_manipulated.xml'), 'utf8'));
    expect(changed.status).toBe(400);
    expect(((await changed.json()) as Json).message).toMatch(/signature refused: .*digest does not match/);
    const signedBytes = readFileSync(join(SHARED, 'dcc_gp_temperature_typical_v12_signed.xml'));
    const signed = await post(sq, signedBytes.toString('utf8'));
    const signedBody = (await signed.json()) as { records: CalibrationRecord[] };
    expect(signed.status, JSON.stringify(signedBody)).toBe(201);
    expect(signedBody.records[0]!.signature).toMatchObject({
      status: 'verified',
      signer: 'Calibration Lab A1',
      sha256: createHash('sha256').update(signedBytes).digest('hex'),
    });
  });

  it('a record file placed in the records dir by hand is applied; a half-written one waits, a broken one is logged and the rest goes on', async () => {
    const { records, logLines } = lab;
    const record: CalibrationRecord = {
      certificate: 'HAND-BATH-1',
      instrument: 'bath-01',
      channel: 'temperature',
      kind: 'calibration',
      calibrated: localDate(-1),
      due: localDate(300),
      unit: '°C',
      mpe: 0.1,
      asFound: [{ reference: 23, indication: 23.3, error: 0.3, U: 0.02, k: 2 }],
      errorTable: [
        { reference: 0, indication: 0.05, error: 0.05, U: 0.02, k: 2 },
        { reference: 100, indication: 100.05, error: 0.05, U: 0.02, k: 2 },
      ],
      traceability: [{ standard: 'SPRT', certificate: 'NIM-T-1' }],
      source: 'dcc',
    };
    const broken = recordPath(records, 'balance-01', 'BROKEN-1');
    mkdirSync(join(records, 'balance-01'), { recursive: true });
    writeFileSync(broken, '{"certificate": "BROKEN-1", "instrument": "balance-01", "kind": "calibration"}\n');
    const file = recordPath(records, 'bath-01', 'HAND-BATH-1', 'temperature');
    mkdirSync(join(records, 'bath-01'), { recursive: true });
    const text = JSON.stringify(record, null, 2);
    const placed = Date.now();
    writeFileSync(file, text.slice(0, 40)); // a copy still being written
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(file, text);
    expect(await lab.suspectFound('bath-01', 'temperature', 'HAND-BATH-1', placed)).toBeLessThan(5000);
    await until(
      () => logLines.some((l) => l.file === broken && String(l.err).includes('not a valid calibration record')),
      'the log line naming the broken file',
      10_000,
    );
    expect(logLines.filter((l) => l.file === file && l.msg === 'calibration record file not applied; the other records are')).toEqual([]);
    await until(
      () => lab.readingsOf('bath-01', 'temperature').some((r) => r.cal.certificate === 'HAND-BATH-1'),
      'a bath reading with the hand-placed record',
      5000,
    );
  });

  it('every event and retained status published meets its JSON Schema (gateway/schemas)', () => {
    const all = (leaf: string) => [...lab.messages].filter(([t]) => t.endsWith(`/${leaf}`)).flatMap(([, list]) => list);
    expect(all('event').map((e) => (e as Json).kind)).toEqual(expect.arrayContaining(['transition', 'suspect', 'impact_report']));
    for (const e of all('event')) expect(validateEvent(e), JSON.stringify(validateEvent.errors)).toBe(true);
    expect(all('status').length).toBeGreaterThan(4);
    for (const st of all('status')) expect(validateStatus(st), JSON.stringify(validateStatus.errors)).toBe(true);
  });

  it('a failing certificate imported while the gateway was down raises its suspect event and report at the next start, and old news stays history', async () => {
    const { messages } = lab;
    await lab.stopGateway();
    // Calibrated a month after the uploaded certificate of the same channel: its suspect period starts there.
    const xml = readFileSync(FIXTURE, 'utf8').replaceAll(CERT, `${CERT}-DOWN`).replaceAll('2026-09-0', '2026-10-0');
    const path = join(lab.dir, 'down.xml');
    writeFileSync(path, xml);
    const res = await lab.importDcc(path, 'setpoint');
    expect(res.code, res.stderr).toBe(0);
    const before = new Map([...messages].map(([t, list]) => [t, list.length]));
    const started = Date.now();
    await lab.startGateway();
    expect(await lab.suspectFound('pressure-01', 'setpoint', `${CERT}-DOWN`, started)).toBeLessThan(10_000);
    expect(lab.events('pressure-01', 'suspect', 'setpoint').at(-1)).toMatchObject({
      suspectFrom: new Date('2026-09-01T00:00:00').getTime(),
      suspectTo: new Date('2026-10-01T00:00:00').getTime(),
    });
    // Records this gateway had already applied raise nothing again.
    const newSince = (instrument: string) => lab.on(instrument, 'event').slice(before.get(lab.topic(instrument, 'event')) ?? 0);
    expect(
      newSince('pressure-01')
        .filter((e) => e.kind === 'suspect')
        .map((e) => e.certificate),
    ).toEqual([`${CERT}-DOWN`]);
    expect(newSince('bath-01').filter((e) => e.kind === 'suspect')).toEqual([]);
  });
});
