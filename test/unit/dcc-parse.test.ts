import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDcc } from '../../gateway/calibration/dcc/parse-dcc.js';
import { dccToRecord } from '../../gateway/calibration/dcc/to-record.js';
import { ROOT } from '../support/e2e-fixture.js';

/** Third-party PTB good-practice DCCs (LGPL, kept outside the repo); see their README. */
const SHARED = join(ROOT, '..', 'shared', 'fixtures', 'dcc');
const OWN = join(ROOT, 'test', 'fixtures', 'dcc');
const shared = (name: string) => readFileSync(join(SHARED, name), 'utf8');
const own = (name: string) => readFileSync(join(OWN, name), 'utf8');

const ROOT_PATH = 'dcc:digitalCalibrationCertificate';
const GP_RESULTS = `${ROOT_PATH}/dcc:measurementResults/dcc:measurementResult/dcc:results`;

describe('the PTB good-practice DCCs (../shared/fixtures/dcc), values read off the files by hand', () => {
  it('temperature, simplified: identification, dates, the table in °C from the hybrid, U 0.061 at k = 2', () => {
    const dcc = parseDcc(shared('dcc_gp_temperature_simplified_v12.xml'), { unit: '°C' });
    expect(dcc.certificate).toBe('GP_DCC_temperature_minimal_1.2');
    expect(dcc.schemaVersion).toBe('3.1.1');
    expect(dcc.performance).toEqual({ begin: '1957-08-13', end: '1957-08-13' });
    expect(dcc.recalibration).toEqual({ date: '1959-10-22' });
    expect(dcc.laboratory).toBe('Kalibrierfirma GmbH');
    expect(dcc.customer).toBe('Kunde GmbH');
    expect(dcc.items[0]!.identifications).toContainEqual({ issuer: 'customer', value: 'string-customer-item', name: 'Measurement equipment no.' });
    expect(dcc.unit).toBe('°C');
    expect(dcc.asLeft.path).toBe(`${GP_RESULTS}/dcc:result[refType=gp_measuringResult1]/dcc:data/dcc:list[refType=gp_table1]`);
    expect(dcc.asLeft.points).toEqual([
      { reference: 33.098, indication: 33.17, error: 0.072, U: 0.061, k: 2, acceptance: { lower: -0.23, upper: 0.23 } },
      { reference: 99.971, indication: 100.06, error: 0.089, U: 0.061, k: 2, acceptance: { lower: -0.23, upper: 0.23 } },
      { reference: 175.103, indication: 175.21, error: 0.107, U: 0.061, k: 2, acceptance: { lower: -0.23, upper: 0.23 } },
      { reference: 250.169, indication: 250.16, error: -0.009, U: 0.061, k: 2, acceptance: { lower: -0.3, upper: 0.3 } },
      { reference: 320.004, indication: 319.92, error: -0.084, U: 0.061, k: 2, acceptance: { lower: -0.3, upper: 0.3 } },
    ]);
    expect(dcc.asFound).toBeUndefined();
    expect(dcc.range).toBeUndefined();
    expect(dcc.conformity).toBe('pass');
    expect(dcc.traceability).toEqual([{ standard: 'Pt 100 thermometer, manufacturer: string-manufacturer-measuringEquipment-1', certificate: '' }]);
  });

  it('temperature, simplified, into a kelvin channel: the kelvin representation, errors unchanged', () => {
    const dcc = parseDcc(shared('dcc_gp_temperature_simplified_v12.xml'), { unit: 'K' });
    expect(dcc.asLeft.points.map((p) => [p.reference, p.indication, p.error])).toEqual([
      [306.248, 306.32, 0.072],
      [373.121, 373.21, 0.089],
      [448.253, 448.36, 0.107],
      [523.319, 523.31, -0.009],
      [593.154, 593.07, -0.084],
    ]);
  });

  it('temperature with adjustment: as-found from the adjustment condition, as-left from the results, validity 306 K to 593 K', () => {
    const dcc = parseDcc(shared('dcc_gp_temperature_typical_adjustment_v12.xml'), { unit: '°C' });
    expect(dcc.certificate).toBe('GP_DCC_temperature_typical_adjustment_1.2');
    expect(dcc.asLeft.path).toContain('dcc:results/dcc:result[refType=gp_measuringResult1]/dcc:data/dcc:list[refType=gp_table2]');
    expect(dcc.asLeft.points[0]).toEqual({ reference: 33.098, indication: 33.17, error: 0.072, U: 0.061, k: 2, acceptance: { lower: -0.23, upper: 0.23 } });
    expect(dcc.asFound!.path).toContain('dcc:influenceConditions/dcc:influenceCondition[refType=basic_adjustment]/dcc:data/dcc:list[refType=gp_table1]');
    expect(dcc.asFound!.points).toEqual([
      { reference: 33.095, indication: 33.2, error: 0.105, U: 0.89, k: 2, acceptance: { lower: -0.75, upper: 0.75 } },
      { reference: 99.977, indication: 100.3, error: 0.323, U: 0.89, k: 2, acceptance: { lower: -0.75, upper: 0.75 } },
      { reference: 175.099, indication: 174.9, error: -0.199, U: 0.89, k: 2, acceptance: { lower: -0.75, upper: 0.75 } },
      { reference: 250.171, indication: 249.9, error: -0.271, U: 0.89, k: 2, acceptance: { lower: -0.9, upper: 0.9 } },
      { reference: 320.001, indication: 320.2, error: 0.199, U: 0.89, k: 2, acceptance: { lower: -0.9, upper: 0.9 } },
    ]);
    expect(dcc.range).toEqual({ min: 32.85, max: 319.85 }); // 306 K and 593 K
    expect(parseDcc(shared('dcc_gp_temperature_typical_adjustment_v12.xml'), { unit: 'K' }).range).toEqual({ min: 306, max: 593 });
    expect(dcc.conformity).toBe('pass');
    expect(dcc.recalibration).toEqual({ date: '1959-10-22' });
  });

  it('humidity: %RH channel takes the percent digits and the U of the \\one representation (0.006 → 0.6 %)', () => {
    const dcc = parseDcc(shared('dcc_gp_humidity_v1.0.xml'), { unit: '%RH' });
    expect(dcc.certificate).toBe('Id 123456789 HtW');
    expect(dcc.performance).toEqual({ begin: '1957-08-13', end: '1957-08-14' });
    expect(dcc.recalibration).toEqual({ date: '1959-10-22' });
    expect(dcc.asLeft.points).toEqual([
      { reference: 20.1, indication: 19.7, error: -0.4, U: 0.6, k: 2, acceptance: { lower: -2, upper: 2 } },
      { reference: 50, indication: 49.9, error: -0.1, U: 0.8, k: 2, acceptance: { lower: -2, upper: 2 } },
      { reference: 80, indication: 80.3, error: 0.3, U: 1, k: 2, acceptance: { lower: -2, upper: 2 } },
      { reference: 90.1, indication: 91.2, error: 1.1, U: 1.1, k: 2, acceptance: { lower: -2, upper: 2 } },
      { reference: 80.1, indication: 81.3, error: 1.2, U: 1, k: 2, acceptance: { lower: -2, upper: 2 } },
      { reference: 50, indication: 50.6, error: 0.6, U: 0.8, k: 2, acceptance: { lower: -2, upper: 2 } },
      { reference: 20, indication: 19.7, error: -0.3, U: 0.6, k: 2, acceptance: { lower: -2, upper: 2 } },
    ]);
    expect(dcc.range).toEqual({ min: 10, max: 80 });
    expect(dcc.mpe).toBe(2.2); // tolerance limits ±0.022 (\one) = ±2.2 %
    expect(dcc.resolution).toBe(0.1);
    expect(dcc.conformity).toBe('pass');
    expect(dcc.traceability).toEqual([
      { standard: 'Pt 100 thermometer, manufacturer: Temperaturmesstechnik GmbH', certificate: 'GP-mE-Certificate-x' },
      { standard: 'Dew point hygrometer', certificate: 'GP-mE-Certificate-y' },
    ]);
    expect(dcc.items.map((i) => i.model)).toEqual(['Display 1234-5', 'H2OMeas 6789-1']);
  });

  it("humidity without a channel unit keeps the certificate's first representation (\\one)", () => {
    const dcc = parseDcc(shared('dcc_gp_humidity_v1.0.xml'));
    expect(dcc.unit).toBe('1');
    expect(dcc.asLeft.points[0]).toEqual({ reference: 0.201, indication: 0.197, error: -0.004, U: 0.006, k: 2, acceptance: { lower: -0.02, upper: 0.02 } });
    expect(dcc.range).toEqual({ min: 0.1, max: 0.8 });
  });

  it('a temperature channel cannot take the humidity certificate: the reference quantity and its units are named', () => {
    expect(() => parseDcc(shared('dcc_gp_humidity_v1.0.xml'), { unit: '°C' })).toThrow(
      `${GP_RESULTS}/dcc:result[refType=gp_relativeGasHumidityAboveWater]/dcc:data/dcc:list/dcc:quantity[refType=basic_referenceValue]: unit 1 / % cannot convert to °C`,
    );
  });
});

describe('our own fixtures (test/fixtures/dcc), values read off the files by hand', () => {
  it('Pt100 with adjustment: prefix d:, D-SI as default namespace, errors in mK, as-found failing a ±0.15 K tolerance', () => {
    const dcc = parseDcc(own('pt100-adjustment.xml'), { unit: '°C' });
    expect(dcc.certificate).toBe('MT-2026-0318/A');
    expect(dcc.schemaVersion).toBe('3.2.1');
    expect(dcc.performance).toEqual({ begin: '2026-03-16', end: '2026-03-18' });
    expect(dcc.issued).toBe('2026-03-20');
    expect(dcc.recalibration).toEqual({ period: 'P12M' });
    expect(dcc.laboratory).toBe('Musterlabor Temperatur GmbH (D-K-99999-01-00)');
    expect(dcc.asLeft.points).toEqual([
      { reference: 0.012, indication: 0.02, error: 0.008, U: 0.025, k: 2 },
      { reference: 50.006, indication: 50.01, error: 0.004, U: 0.025, k: 2 },
      { reference: 100.003, indication: 99.99, error: -0.013, U: 0.03, k: 2 },
      { reference: 150.01, indication: 150.03, error: 0.02, U: 0.035, k: 2 },
    ]);
    expect(dcc.asLeft.conformity).toBe('pass');
    expect(dcc.asFound!.points).toEqual([
      { reference: 0.011, indication: 0.09, error: 0.079, U: 0.025, k: 2 },
      { reference: 50.004, indication: 50.12, error: 0.116, U: 0.025, k: 2 },
      { reference: 100.005, indication: 100.16, error: 0.155, U: 0.03, k: 2 },
      { reference: 150.008, indication: 150.25, error: 0.242, U: 0.035, k: 2 },
    ]);
    // "pass pass fail fail" before adjustment, "pass" after: each state keeps its own statement
    // (issue 12: the importer used to keep only the as-found one, hiding an as-left failure).
    expect(dcc.asFound!.conformity).toBe('fail');
    expect(dcc.asFoundConformity).toBe('fail');
    expect(dcc.conformity).toBe('pass');
    expect(dcc.mpe).toBe(0.15);
    expect(dcc.range).toEqual({ min: 0, max: 150 });
    expect(dcc.resolution).toBe(0.01); // 10 mK
    expect(dcc.traceability).toEqual([
      { standard: 'SPRT 5187', certificate: 'PTB-2025-1234' },
      { standard: 'Thermometry bridge, manufacturer: B12345', certificate: 'DKD-K-2025-0456' },
    ]);
  });

  it('Pt100 into a kelvin channel: references +273.15, errors and U unchanged', () => {
    const dcc = parseDcc(own('pt100-adjustment.xml'), { unit: 'K' });
    expect(dcc.asLeft.points.map((p) => [p.reference, p.indication, p.error, p.U])).toEqual([
      [273.162, 273.17, 0.008, 0.025],
      [323.156, 323.16, 0.004, 0.025],
      [373.153, 373.14, -0.013, 0.03],
      [423.16, 423.18, 0.02, 0.035],
    ]);
    expect(dcc.range).toEqual({ min: 273.15, max: 423.15 });
    expect(dcc.resolution).toBe(0.01);
    expect(dcc.mpe).toBe(0.15);
  });

  it('pressure gauge, D-SI 2.x uncertainty: kPa from the hybrid, bar and Pa converted, U per point', () => {
    const dcc = parseDcc(own('pressure-gauge-dsi2.xml'), { unit: 'kPa' });
    expect(dcc.certificate).toBe('DKL-P 0042 2026');
    expect(dcc.schemaVersion).toBe('3.3.0');
    expect(dcc.performance.end).toBe('2026-02-05');
    expect(dcc.recalibration).toBeUndefined();
    expect(dcc.asLeft.points).toEqual([
      { reference: 0, indication: 0.02, error: 0.02, U: 0.05, k: 2 },
      { reference: 200, indication: 200.11, error: 0.11, U: 0.06, k: 2 },
      { reference: 400, indication: 400.18, error: 0.18, U: 0.07, k: 2 },
      { reference: 600, indication: 600.21, error: 0.21, U: 0.08, k: 2 },
      { reference: 800, indication: 800.3, error: 0.3, U: 0.09, k: 2 },
      { reference: 1000, indication: 1000.42, error: 0.42, U: 0.1, k: 2 },
    ]);
    expect(dcc.range).toEqual({ min: 0, max: 1000 });
    expect(dcc.mpe).toBe(0.6);
    expect(dcc.conformity).toBe('pass');
    expect(dcc.traceability).toEqual([{ standard: 'Pressure balance', certificate: 'PTB-P-2024-88' }]);
  });

  it('pressure gauge into mbar', () => {
    const dcc = parseDcc(own('pressure-gauge-dsi2.xml'), { unit: 'mbar' });
    expect(dcc.asLeft.points[1]).toEqual({ reference: 2000, indication: 2001.1, error: 1.1, U: 0.6, k: 2 });
    expect(dcc.range).toEqual({ min: 0, max: 10000 });
  });
});

describe('namespaces are resolved by URI, not by prefix', () => {
  it('the same certificate under other prefixes gives the same record', () => {
    const original = own('pt100-adjustment.xml');
    const renamed = original
      .replace(/<(\/?)d:/g, '<$1cert:')
      .replace('xmlns:d=', 'xmlns:cert=')
      .replace('xmlns="https://ptb.de/si"', 'xmlns:q="https://ptb.de/si"')
      .replace(
        /<(\/?)(real|value|unit|realListXMLList|valueXMLList|unitXMLList|expandedUncXMLList|uncertaintyXMLList|coverageFactorXMLList|coverageProbabilityXMLList|distributionXMLList)>/g,
        '<$1q:$2>',
      );
    expect(renamed).not.toContain('<d:');
    const opts = { instrument: 'bath-01' };
    expect(dccToRecord(parseDcc(renamed, { unit: '°C' }), opts).record).toEqual(dccToRecord(parseDcc(original, { unit: '°C' }), opts).record);
    expect(() => parseDcc(renamed.replace('<cert:endPerformanceDate>2026-03-18</cert:endPerformanceDate>', ''), { unit: '°C' })).toThrow(
      'cert:digitalCalibrationCertificate/cert:administrativeData/cert:coreData/cert:endPerformanceDate: missing',
    );
  });

  it('a DCC prefix bound to another namespace is not a DCC', () => {
    const text = own('pressure-gauge-dsi2.xml').replace('xmlns:dcc="https://ptb.de/dcc"', 'xmlns:dcc="https://example.org/dcc"');
    expect(() => parseDcc(text)).toThrow('dcc:digitalCalibrationCertificate: not a DCC: namespace "https://example.org/dcc"');
  });

  it('D-SI elements in a foreign namespace carry no value', () => {
    const text = own('pressure-gauge-dsi2.xml').replace('xmlns:si="https://ptb.de/si"', 'xmlns:si="https://example.org/si"');
    expect(() => parseDcc(text, { unit: 'kPa' })).toThrow('dcc:quantity[refType=basic_referenceValue]: no si:real, si:realListXMLList or si:hybrid value');
  });
});

describe('malformed certificates: a clear error naming the element, and no result', () => {
  const cases: [string, string][] = [
    ['not-xml.xml', "not well-formed XML: Closing tag 'dcc:endPerform' doesn't have proper closing. (line 8, column 1)"],
    ['wrong-root.xml', 'report: not a DCC: root element <report>, expected the DCC root dcc:digitalCalibrationCertificate (namespace https://ptb.de/dcc)'],
    [
      'missing-date.xml',
      `${ROOT_PATH}/dcc:administrativeData/dcc:coreData/dcc:endPerformanceDate: missing: the calibration date (end of performance) is required`,
    ],
    ['missing-table.xml', `${ROOT_PATH}/dcc:measurementResults: no usable error table`],
    [
      'wrong-units.xml',
      `${GP_RESULTS}/dcc:result[refType=probeResults]/dcc:data/dcc:list/dcc:quantity[refType=basic_measurementError]: unit m cannot convert to °C`,
    ],
    [
      'correction-sign.xml',
      `${GP_RESULTS}/dcc:result[refType=probeResults]/dcc:data/dcc:list/dcc:quantity[refType=basic_measurementError]: point 1: indication 0.05 − reference 0.01 = 0.04, but the error is -0.04: it looks like a correction (reference − indication), not an error (indication − reference)`,
    ],
  ];
  for (const [file, message] of cases) {
    it(file, () => {
      expect(() => parseDcc(own(file), { unit: '°C' })).toThrow(message);
    });
  }

  it('a schema 2.x certificate is refused, not misread', () => {
    const text = own('pressure-gauge-dsi2.xml').replace('schemaVersion="3.3.0"', 'schemaVersion="2.4.0"');
    expect(() => parseDcc(text)).toThrow('dcc:digitalCalibrationCertificate: schemaVersion 2.4.0 is not supported (3.x is)');
  });

  it('an impossible calibration date is named', () => {
    const text = own('pressure-gauge-dsi2.xml').replace('<dcc:endPerformanceDate>2026-02-05', '<dcc:endPerformanceDate>2026-02-30');
    expect(() => parseDcc(text)).toThrow('dcc:coreData/dcc:endPerformanceDate: "2026-02-30" is not a date (YYYY-MM-DD)');
  });

  it('an uncertainty list that does not match the values is named', () => {
    const text = own('pressure-gauge-dsi2.xml').replace('50 60 70 80 90 100', '50 60 70');
    expect(() => parseDcc(text, { unit: 'kPa' })).toThrow('dcc:quantity[refType=basic_measurementError]/si:realListXMLList: 3 uncertainty values for 6 values');
  });

  it('a column with fewer values than the reference is named', () => {
    const text = own('pressure-gauge-dsi2.xml').replace('0.0002 2.0011 4.0018 6.0021 8.0030 10.0042', '0.0002 2.0011');
    expect(() => parseDcc(text, { unit: 'kPa' })).toThrow('dcc:quantity[refType=basic_measuredValue]: 2 values, but the reference value has 6');
  });

  it('a number that is not a number is named', () => {
    const text = own('pressure-gauge-dsi2.xml').replace('20 110 180', '20 1l0 180');
    expect(() => parseDcc(text, { unit: 'kPa' })).toThrow('si:valueXMLList: "1l0" is not a decimal number');
  });

  it('an only-as-found certificate has nothing to correct with', () => {
    const text = own('pt100-adjustment.xml').replace(/<d:results>[\s\S]*<\/d:results>/, '<d:results/>');
    expect(() => parseDcc(text, { unit: '°C' })).toThrow('only as-found (before adjustment) data: no as-left error table');
  });
});
