import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../config/load-config.js';
import { asModbusTcp, type CalibrationConfig, type MetrogateConfig, type MqttConfig } from '../../config/schema.js';
import { devicesFromConfig, startSimulator, type Simulator } from '../../tools/simulators/modbus/index.js';

export const ROOT = join(import.meta.dirname, '..', '..');

/** A name unique to this test run, so tests sharing the suite's broker and database never meet. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** YYYY-MM-DD in local time, `days` from now. */
export function localDate(days: number, from = Date.now()): string {
  const d = new Date(from);
  d.setDate(d.getDate() + days);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/**
 * The demo lab's config wired to the suite's broker and database and to a static simulator, under
 * a unique site, topic prefix and database. Calibration records are set relative to today so the
 * expected statuses hold on any day the suite runs.
 */
/** A config with an edge broker (the demo lab's always has one; `mqtt` is optional in general). */
export type BrokerConfig = MetrogateConfig & { mqtt: MqttConfig };

export async function demoLab(mqttUrl: string, influxUrl: string, pollIntervalMs = 200): Promise<{ config: BrokerConfig; sim: Simulator }> {
  const base = loadConfig(join(ROOT, 'config/examples/demo.yaml'));
  const sim = await startSimulator({ devices: devicesFromConfig(base, { ephemeralPorts: true, static: true }).devices });
  const records: Record<string, CalibrationConfig | undefined> = {
    // Each with the range it covers, in the unit of the instrument's first channel (a record with
    // neither range nor table covers nothing, so its readings would not be traceable).
    'bath-01': { certificate: 'E2E-VALID', calibrated: localDate(-100), due: localDate(200), range: { min: 0, max: 100 } },
    'pressure-01': { certificate: 'E2E-SOON', calibrated: localDate(-350), due: localDate(10), range: { min: 0, max: 300 } },
    'balance-01': { certificate: 'E2E-EXPIRED', calibrated: localDate(-400), due: localDate(-5), range: { min: 0, max: 220 } },
    'dmm-01': undefined,
  };
  // Paths resolve beside the config file: keep this run's state out of the source tree.
  const state = mkdtempSync(join(tmpdir(), 'metrogate-e2e-'));
  const config: BrokerConfig = {
    ...base,
    // In-process gateways: the API on a free port if a test builds one, never the default 8080.
    api: { ...base.api, enabled: true, host: '127.0.0.1', port: 0 } as MetrogateConfig['api'],
    spool: { ...base.spool!, dir: join(state, 'spool') },
    calibration: { ...base.calibration!, recordsDir: join(state, 'records'), reportsDir: join(state, 'reports') },
    site: uniqueName('site'),
    gateway: { id: 'e2e-gw', logLevel: 'silent', statsIntervalMs: 1000 },
    mqtt: { ...base.mqtt!, url: mqttUrl, topicPrefix: uniqueName('mg') },
    influx: { ...base.influx!, url: influxUrl, database: uniqueName('db'), flushIntervalMs: 200 },
    instruments: base.instruments
      .filter((i) => i.protocol === 'modbus-tcp')
      .map(asModbusTcp)
      .map((inst) => {
        const { calibration: _drop, ...rest } = inst;
        const record = records[inst.id];
        return {
          ...rest,
          pollIntervalMs,
          connection: { ...inst.connection, port: sim.device(inst.id).port },
          ...(record ? { calibration: record } : {}),
        };
      }),
  };
  return { config, sim };
}
