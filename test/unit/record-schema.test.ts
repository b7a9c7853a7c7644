import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRecords, saveRecord } from '../../gateway/calibration/record-store.js';
import { record } from '../support/calibration-fixture.js';

describe('record store and API share one record schema', () => {
  it('a record with every optional field the API accepts is stored and loaded back unchanged', () => {
    const dir = mkdtempSync(join(tmpdir(), 'metrogate-records-'));
    try {
      const full = record({
        certificate: 'API-7',
        calibrated: '2026-01-10',
        due: '2027-01-10',
        dueSoonDays: 20,
        dueSoonShare: 0.9,
        extraUncertainty: [{ name: 'bath gradient', u: 0.004 }],
        resolution: 0.001,
        mpe: { constant: 0.05, proportional: 0.001 },
        decisionRule: { rule: 'guarded', r: 0.5 },
        conformity: 'conditionalPass',
        asFoundConformity: 'fail',
        issued: '2026-01-12',
        errorTable: [
          {
            reference: 20,
            indication: 20.01,
            error: 0.01,
            U: 0.004,
            k: 2,
            tolerance: { lower: -0.02, upper: 0.05 },
            acceptance: { lower: -0.01, upper: 0.04 },
          },
        ],
        asFound: [{ reference: 20, indication: 20.09, error: 0.09, U: 0.004, k: 2 }],
      });
      saveRecord(dir, full);
      expect(loadRecords(dir)).toEqual([full]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
