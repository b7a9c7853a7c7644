/**
 * A resistance thermometer's certificate (reference °C against indication Ω, U in Ω) imported
 * into a channel with a characteristic, checked against values computed by hand from IEC 60751.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { InstrumentConfig } from '../../config/schema.js';
import { CalibrationEngine } from '../../gateway/calibration/calibration-engine.js';
import type { CharacteristicConfig } from '../../gateway/calibration/characteristic/characteristic-config.js';
import { DccError } from '../../gateway/calibration/dcc/dcc-error.js';
import { recordFromDcc } from '../../gateway/calibration/dcc/import-dcc.js';
import { parseDcc } from '../../gateway/calibration/dcc/parse-dcc.js';
import { silentLogger } from '../../gateway/log.js';
import type { Reading } from '../../gateway/reading.js';
import { NO_RECORD } from '../support/calibration-fixture.js';
import { ROOT } from '../support/e2e-fixture.js';

const XML = readFileSync(join(ROOT, 'test/fixtures/dcc/prt-resistance.xml'), 'utf8');
const NOMINAL: CharacteristicConfig = { type: 'cvd', R0: 100, A: 3.9083e-3, B: -5.775e-7, C: -4.183e-12 };
const channel = { id: 'prt', unit: '°C', characteristic: NOMINAL };

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (err instanceof DccError) return err.message;
    throw err;
  }
  throw new Error('expected a DccError');
}

describe('importing a PRT certificate (Ω) into a channel with a characteristic', () => {
  const { record } = recordFromDcc(XML, { instrument: 'bath', channel });

  it('makes a record in °C whose indications are what the characteristic reads, by hand', () => {
    expect(record).toMatchObject({
      certificate: 'PRT-2026-0077',
      unit: '°C',
      channel: 'prt',
      calibrated: '2026-02-04',
      due: '2028-02-04',
      range: { min: -50, max: 200 },
    });
    expect(record.errorTable).toHaveLength(5);
    // 138.5404 Ω: t = (−A + √(A² + 4B(R/R0 − 1)))/(2B) = (−3.9083e-3 + √(1.52748e-5 − 8.90283e-7))/(−1.155e-6)
    //            = 100.092018 °C; error = 100.092018 − 100.007 = 0.085018 °C.
    // dR/dt = R0(A + 2Bt) = 100 × (3.9083e-3 − 1.155e-6 × 100.092) = 0.379269 Ω/°C, so
    // U = 0.0040 Ω / 0.379269 Ω/°C = 0.010547 °C (k = 2 kept).
    expect(record.errorTable[3]).toEqual({ reference: 100.007, indication: 100.092018, error: 0.085018, U: 0.010547, k: 2 });
    // 100.0208 Ω: t ≈ 0.0208/0.39083 + … = 0.053220 °C; U = 0.0040 × 1/(100 × (A + 2B × 0.0532)) = 0.010235 °C.
    expect(record.errorTable[1]).toEqual({ reference: 0.002, indication: 0.05322, error: 0.05122, U: 0.010235, k: 2 });
    // Below 0 °C through C (Newton): 80.3241 Ω → −49.955132 °C.
    expect(record.errorTable[0]!.indication).toBeCloseTo(-49.955132, 6);
  });

  it('the engine then gives the reference temperature at a calibrated resistance, with U/2 as u', () => {
    const inst: InstrumentConfig = {
      id: 'bath',
      protocol: 'modbus-tcp',
      connection: { host: '127.0.0.1', port: 1, unitId: 1, timeoutMs: 100 },
      pollIntervalMs: 1000,
      maxGap: 0,
      maxRegistersPerRead: 125,
      channels: [
        {
          id: 'prt',
          function: 'input',
          address: 0,
          type: 'float32',
          order: 'ABCD',
          scale: 1,
          offset: 0,
          quantity: 'temperature',
          unit: '°C',
          characteristic: NOMINAL,
        },
      ],
    };
    const ts = new Date(2026, 5, 1, 12).getTime();
    const engine = new CalibrationEngine({ site: 'lab', instruments: [inst], records: [record], log: silentLogger(), now: () => ts });
    const r: Reading = {
      site: 'lab',
      instrument: 'bath',
      channel: 'prt',
      quantity: 'temperature',
      unit: '°C',
      ts,
      seq: 1,
      raw: 138.5404,
      value: 138.5404,
      quality: 'good',
      cal: NO_RECORD,
    };
    engine.tagBatch('bath', [r]);
    expect(r.value as number).toBeCloseTo(100.007, 6);
    expect(r.u!).toBeCloseTo(0.010547 / 2, 7);
    expect(r).toMatchObject({ raw: 138.5404, rawUnit: 'Ω', cal: { certificate: 'PRT-2026-0077', traceable: true } });
  });

  it('fits Callendar–Van Dusen to the table and reports its residuals', () => {
    const fit = parseDcc(XML, { unit: '°C', characteristic: NOMINAL }).asLeft.sensor!.fit!;
    // The fixture was generated from R0 100.02 Ω, A 3.909e-3, B −5.8e-7 and rounded to 0.1 mΩ.
    expect(fit.coefficients.R0).toBeCloseTo(100.02, 4);
    expect(fit.coefficients.A).toBeCloseTo(3.909e-3, 8);
    expect(fit.coefficients.B).toBeCloseTo(-5.8e-7, 9);
    expect(fit.residuals).toHaveLength(5);
    // 0.05 mΩ of rounding at 0.38 Ω/°C: residuals of a tenth of a millikelvin at most.
    expect(fit.maxResidualK).toBeLessThan(0.0002);
  });
});

describe('a PRT certificate that cannot be imported', () => {
  it('without a characteristic names the units by their symbols and says what to add', () => {
    const message = refusal(() => recordFromDcc(XML, { instrument: 'bath', channel: { id: 'prt', unit: '°C' } }));
    expect(message).toContain('the indication is in Ω and the measurand in °C');
    expect(message).toContain('characteristic');
    expect(message).not.toContain('\\ohm');
  });

  it('an indication written in SI base units is named by its symbol and the unit it equals, not its D-SI text', () => {
    const baseUnits = XML.replace(
      '<si:unitXMLList>\\ohm</si:unitXMLList>',
      '<si:unitXMLList>\\kilogram\\metre\\tothe{2}\\second\\tothe{-3}\\ampere\\tothe{-2}</si:unitXMLList>',
    );
    const message = refusal(() => recordFromDcc(baseUnits, { instrument: 'bath', channel: { id: 'prt', unit: '°C' } }));
    expect(message).toContain('the indication is in kg·m^2·s^-3·A^-2 (Ω)');
    expect(message).not.toContain('\\kilogram');
  });

  it('a characteristic in another sensor quantity than the certificate is refused, naming both', () => {
    const tc: CharacteristicConfig = { type: 'thermocouple', thermocouple: 'K', coldJunction: { temperature: 0 } };
    expect(refusal(() => recordFromDcc(XML, { instrument: 'bath', channel: { id: 'prt', unit: '°C', characteristic: tc } }))).toContain(
      "the indication is in Ω, but the channel's characteristic reads mV",
    );
  });
});
