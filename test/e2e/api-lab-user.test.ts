import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CalibrationListSchema, ErrorSchema, InstrumentListSchema, InstrumentViewSchema, RecordSchema, StatusChangeSchema } from '../../gateway/api/schemas.js';
import { localDate, ROOT } from '../support/e2e-fixture.js';
import { BEARER, readingBatches, startDemoLabApi, type DemoLabApi } from '../support/demo-lab-api.js';
import { openStream } from '../support/sse-client.js';
import { waitFor } from '../support/until.js';

/**
 * What a lab sees and does through the API of a gateway polling the demo lab (real Modbus, MQTT,
 * InfluxDB): every instrument's latest values and calibration, the records behind it, a record
 * posted with the token, an instrument quarantined and released, and the live readings the page
 * streams. What the operator's tools see: api-operations.test.ts.
 */
const ajv = new Ajv2020({ allErrors: true, strict: false });
const validateBatch = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'gateway/schemas/reading-batch.schema.json'), 'utf8')) as object);

const EXPECTED_CAL: Record<string, { status: string; certificate: string | null; traceable: boolean }> = {
  'bath-01': { status: 'valid', certificate: 'E2E-VALID', traceable: true },
  'pressure-01': { status: 'due_soon', certificate: 'E2E-SOON', traceable: true },
  'balance-01': { status: 'expired', certificate: 'E2E-EXPIRED', traceable: false },
  'dmm-01': { status: 'uncalibrated', certificate: null, traceable: false },
};

describe('HTTP API: instruments, their calibration and live readings on a gateway polling the demo lab', () => {
  let lab: DemoLabApi;

  beforeAll(async () => {
    lab = await startDemoLabApi(inject('mqttUrl'), inject('influxUrl'));
  });
  afterAll(async () => {
    await lab?.close();
  });

  it('GET /api/instruments: every instrument, the exact latest value per channel, its calibration tag and online state', async () => {
    const { config, sim, client } = lab;
    const res = await client.get(InstrumentListSchema, '/api/instruments');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ site: config.site, gateway: 'e2e-gw' });
    expect(res.body.instruments.map((i) => i.id)).toEqual(['bath-01', 'pressure-01', 'balance-01', 'dmm-01']);
    for (const inst of res.body.instruments) {
      const cfg = config.instruments.find((i) => i.id === inst.id)!;
      expect(inst).toMatchObject({ name: cfg.name, lab: cfg.lab, protocol: 'modbus-tcp', online: true, error: null });
      expect(inst.calibration, inst.id).toMatchObject(EXPECTED_CAL[inst.id]!);
      expect(inst.channels.map((c) => c.id)).toEqual(cfg.channels.map((c) => c.id));
      for (const ch of inst.channels) {
        const served = sim.device(inst.id).value(ch.id);
        const unit = cfg.channels.find((c) => c.id === ch.id)!.unit;
        expect(ch.latest, `${inst.id}.${ch.id}`).toMatchObject({ value: served, raw: served, unit, quality: 'good', reason: null });
        expect(ch.latest!.seq).toBeGreaterThan(0);
        expect(Date.now() - ch.latest!.ts).toBeLessThan(10_000);
        // Trend: the last numeric values (at most api.trendPoints), here all the same value.
        if (typeof served === 'number') {
          expect(ch.trend.length).toBeGreaterThanOrEqual(2);
          expect(ch.trend.length).toBeLessThanOrEqual(5);
          expect(new Set(ch.trend)).toEqual(new Set([served]));
        } else expect(ch.trend).toEqual([]);
      }
    }
  });

  // The HTTP layer alone (404/400 answers, the token, request schemas, OpenAPI, the page's files):
  // test/unit/api-http.test.ts, through inject() on fake deps.
  it('GET /api/instruments/:id: one instrument, its calibration from the running engine', async () => {
    const one = await lab.client.get(InstrumentViewSchema, '/api/instruments/balance-01');
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: 'balance-01', lab: 'mass-lab', calibration: { status: 'expired', daysToDue: -5 } });
  });

  it('GET /api/calibration: the status of every instrument and its records', async () => {
    const all = await lab.client.get(CalibrationListSchema, '/api/calibration');
    expect(all.status).toBe(200);
    expect(all.body.records.map((r) => `${r.instrument} ${r.certificate} ${r.source}`).sort()).toEqual([
      'balance-01 E2E-EXPIRED config',
      'bath-01 E2E-VALID config',
      'pressure-01 E2E-SOON config',
    ]);
    expect(Object.fromEntries(all.body.instruments.map((i) => [i.instrument, i.calibration]))).toMatchObject(EXPECTED_CAL);
    const one = await lab.client.get(CalibrationListSchema, '/api/calibration?instrument=pressure-01');
    expect(one.body.instruments).toHaveLength(1);
    expect(one.body.instruments[0]).toMatchObject({ instrument: 'pressure-01', lab: 'pressure-lab', calibration: { status: 'due_soon', daysToDue: 10 } });
    expect(one.body.records).toHaveLength(1);
    expect(one.body.records[0]).toMatchObject({ certificate: 'E2E-SOON', instrument: 'pressure-01', due: localDate(10), source: 'config' });
  });

  const RECORD = {
    certificate: 'API-2026-001',
    instrument: 'bath-01',
    kind: 'calibration',
    calibrated: '2026-01-10',
    due: '2027-01-10',
    unit: '°C',
    errorTable: [{ reference: 25, indication: 25.012, error: 0.012, U: 0.01, k: 2 }],
    traceability: [{ standard: 'SPRT 5187', certificate: 'NIM-2025-1' }],
  };

  it('with the token, a posted record corrects the next readings at once; quarantine and release change the status', async () => {
    const { sim, client } = lab;
    const bathView = async () => (await client.get(InstrumentViewSchema, '/api/instruments/bath-01')).body;
    // Two points around the bath's 23.4567 °C: E(23.4567) = 0.010 + 0.004 × 3.4567 / 10.
    const record = {
      ...RECORD,
      certificate: 'API-NEW-1',
      calibrated: localDate(-1),
      due: localDate(364),
      errorTable: [
        { reference: 19.99, indication: 20, error: 0.01, U: 0.01, k: 2 },
        { reference: 29.986, indication: 30, error: 0.014, U: 0.01, k: 2 },
      ],
    };
    const seqBefore = (await bathView()).channels[0]!.latest!.seq;
    const added = await client.post(RecordSchema, '/api/calibration/records', record, BEARER);
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    expect(added.body).toMatchObject({ certificate: 'API-NEW-1', source: 'api' });
    const again = await client.post(ErrorSchema, '/api/calibration/records', record, BEARER);
    expect(again.status).toBe(400);
    expect(again.body.message).toBe('calibration record API-NEW-1 for bath-01: certificate API-NEW-1 is already recorded for bath-01');
    expect((await client.get(CalibrationListSchema, '/api/calibration?instrument=bath-01')).body.records.map((r) => r.certificate)).toEqual([
      'API-NEW-1',
      'E2E-VALID',
    ]);

    expect((await bathView()).calibration).toEqual({
      status: 'valid',
      certificate: 'API-NEW-1',
      laboratory: null,
      due: localDate(364),
      daysToDue: 364,
      traceable: true,
    });
    const bath = await waitFor('four more bath readings after the record', bathView, (b) => b.channels[0]!.latest!.seq > seqBefore + 4, { intervalMs: 100 });
    const t = bath.channels[0]!.latest!;
    expect(t.raw).toBe(sim.device('bath-01').value('temperature'));
    const raw = t.raw as number;
    expect(t.value).toBeCloseTo(raw - (0.01 + (0.004 * (raw - 20)) / 10), 12);
    expect(t.u).toBeCloseTo(0.005, 12);
    expect(t.k).toBe(2);

    const stream = await openStream(client.url('/api/readings/stream?instrument=bath-01'));
    try {
      const quarantined = await client.post(
        StatusChangeSchema,
        '/api/instruments/bath-01/quarantine',
        { reason: 'failed intermediate check', by: 'api-test' },
        BEARER,
      );
      expect(quarantined.status).toBe(200);
      expect(quarantined.body).toEqual({ instrument: 'bath-01', calibration: expect.objectContaining({ status: 'quarantined', traceable: false }) });
      expect((await bathView()).calibration.status).toBe('quarantined');
      await stream.waitFor((evs) => readingBatches(evs).some((b) => b.readings[0]!.cal.status === 'quarantined'));
      const released = await client.post(StatusChangeSchema, '/api/instruments/bath-01/release', { reason: 'recheck passed' }, BEARER);
      expect(released.status).toBe(200);
      expect(released.body.calibration).toMatchObject({ status: 'valid', certificate: 'API-NEW-1' });
      const n = readingBatches(stream.events).length;
      await stream.waitFor((evs) =>
        readingBatches(evs)
          .slice(n)
          .some((b) => b.readings[0]!.cal.status === 'valid'),
      );
    } finally {
      stream.close();
    }
  });

  it('GET /api/readings/stream: live batches as SSE, filtered by instrument, with heartbeats', async () => {
    const { client, sim } = lab;
    const one = await openStream(client.url('/api/readings/stream?instrument=pressure-01'));
    const all = await openStream(client.url('/api/readings/stream'));
    try {
      await one.waitFor((evs) => evs.filter((e) => e.event === 'readings').length >= 4 && evs.some((e) => e.event === 'heartbeat'));
      await all.waitFor((evs) => new Set(readingBatches(evs).map((b) => b.instrument)).size === 4);
    } finally {
      one.close();
      all.close();
    }
    expect(one.events[0]).toEqual({ event: 'hello', data: { gateway: 'e2e-gw' } });
    const batches = readingBatches(one.events);
    for (const b of batches) expect(validateBatch(b), JSON.stringify(validateBatch.errors)).toBe(true);
    expect(new Set(batches.map((b) => b.instrument))).toEqual(new Set(['pressure-01']));
    const seqs = batches.flatMap((b) => b.readings.map((r) => r.seq));
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    expect(batches[0]!.readings.find((r) => r.channel === 'pressure')).toMatchObject({
      value: sim.device('pressure-01').value('pressure'),
      unit: 'kPa',
      cal: { status: 'due_soon' },
    });

    expect((await client.get(ErrorSchema, '/api/readings/stream?instrument=bath-01,nope-2')).status).toBe(404);
  });
});
