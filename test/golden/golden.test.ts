/**
 * Golden cases per driver (test/golden/README.md): each folder's config.yaml through the real
 * loader, then either the exact error text, or the drivers (through drivers/registry.ts) against
 * the real simulator and the readings they deliver.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config/load-config.js';
import { createDriverUnits } from '../../drivers/registry.js';
import { silentLogger } from '../../gateway/log.js';
import type { Reading } from '../../gateway/reading.js';
import { CollectOutput } from '../support/collect-output.js';
import { rigFor } from './golden-rigs.js';

const ROOT = fileURLToPath(new URL('.', import.meta.url));

interface Case {
  driver: string;
  name: string;
  dir: string;
}

function cases(): Case[] {
  const found: Case[] = [];
  for (const driver of readdirSync(ROOT).filter((d) => statSync(join(ROOT, d)).isDirectory())) {
    for (const name of readdirSync(join(ROOT, driver)).filter((n) => statSync(join(ROOT, driver, n)).isDirectory())) {
      found.push({ driver, name, dir: join(ROOT, driver, name) });
    }
  }
  return found;
}

/** What a user checks of a reading, per instrument and channel. */
type Snapshot = Record<string, Record<string, Pick<Reading, 'quantity' | 'unit' | 'raw' | 'quality'>>>;

function snapshot(out: CollectOutput): Snapshot {
  const snap: Snapshot = {};
  for (const batch of out.batches) {
    for (const r of batch.readings) (snap[r.instrument] ??= {})[r.channel] = { quantity: r.quantity, unit: r.unit, raw: r.raw, quality: r.quality };
  }
  return snap;
}

/** The readings once they equal `expected`, or at the deadline whatever they are (the caller's comparison then fails, showing each channel's difference). */
async function readingsOf(c: Case, expected: Snapshot): Promise<Snapshot> {
  const rig = await rigFor(c.driver);
  try {
    const config = await rig.start(loadConfig(join(c.dir, 'config.yaml'), { ...process.env, ...rig.env }));
    const out = new CollectOutput();
    const units = createDriverUnits(config.site, config.instruments, silentLogger());
    for (const u of units) u.driver.start(out);
    try {
      const deadline = Date.now() + 15_000;
      while (!isDeepStrictEqual(snapshot(out), expected) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      return snapshot(out);
    } finally {
      await Promise.all(units.map((u) => u.driver.stop()));
    }
  } finally {
    await rig.stop();
  }
}

function errorOf(c: Case): string {
  try {
    loadConfig(join(c.dir, 'config.yaml'), { ...process.env, GOLDEN_RTU_LINE: '/dev/ttyGOLDEN' });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.message.replaceAll(`${c.dir}/`, '');
  }
  throw new Error(`${c.driver}/${c.name}/config.yaml loaded without an error, but the case expects one`);
}

const all = cases();

describe('golden cases', () => {
  it('has at least the cases each driver must keep', () => {
    const names = all.map((c) => `${c.driver}/${c.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'modbus/tcp-two-instruments',
        'modbus/rtu-shared-line',
        'modbus/bad-channel-type',
        'modbus/register-past-address-space',
        'opcua/chamber-subscribe',
        'opcua/bad-node-id',
      ]),
    );
    for (const c of all) {
      const outcomes = ['expected.json', 'expected-error.txt'].filter((f) => existsSync(join(c.dir, f)));
      expect(outcomes, `${c.driver}/${c.name} needs exactly one of expected.json, expected-error.txt`).toHaveLength(1);
    }
  });

  for (const c of all) {
    const expectedError = join(c.dir, 'expected-error.txt');
    const expectedReadings = join(c.dir, 'expected.json');
    if (existsSync(expectedError)) {
      it(`${c.driver}/${c.name}: the config is refused with the expected text`, () => {
        expect(errorOf(c)).toBe(readFileSync(expectedError, 'utf8').trimEnd());
      });
    } else if (existsSync(expectedReadings)) {
      it(`${c.driver}/${c.name}: the driver reads the simulator as expected`, async () => {
        const expected = JSON.parse(readFileSync(expectedReadings, 'utf8')) as Snapshot;
        expect(await readingsOf(c, expected)).toEqual(expected);
      }, 40_000);
    }
  }
});
