/**
 * The recalibration-interval suggestion as a quality manager asks for it: from the gateway's API
 * while it runs, and from `metrogate intervals` on the same config; both read the certificate
 * history (the config's record and the records folder), neither changes the due date.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { asModbusTcp, type MetrogateConfig } from '../../config/schema.js';
import type { Simulator } from '../../tools/simulators/modbus/index.js';
import { serveGatewayApi } from '../../gateway/api/serve-gateway.js';
import { saveRecord } from '../../gateway/calibration/record-store.js';
import type { IntervalReport } from '../../gateway/checks/interval-history.js';
import { buildGateway } from '../../gateway/gateway.js';
import { silentLogger } from '../../gateway/log.js';
import { driftingHistory } from '../support/calibration-history.js';
import { runCli } from '../support/cli.js';
import { demoLab } from '../support/e2e-fixture.js';

const tmp = mkdtempSync(join(tmpdir(), 'metrogate-intervals-'));
let sim: Simulator | undefined;
afterAll(async () => {
  await sim?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('metrogate intervals and GET /api/intervals', () => {
  it('suggest 15 months (staircase) and 17 months (drift) from three yearly certificates, and the due date stays', async () => {
    const { config: base, sim: s } = await demoLab(inject('mqttUrl'), inject('influxUrl'), 500);
    sim = s;
    const history = driftingHistory('bath-01', '°C');
    const recordsDir = join(tmp, 'records');
    for (const r of history.slice(0, 2)) saveRecord(recordsDir, r);
    const latest = history[2]!;
    const bath = asModbusTcp(base.instruments.find((i) => i.id === 'bath-01'));
    bath.calibration = {
      certificate: latest.certificate,
      calibrated: latest.calibrated,
      due: latest.due,
      mpe: 0.5,
      errorTable: latest.errorTable.map(({ reference, indication, U, k }) => ({ reference, indication, U: U!, k: k! })),
    };
    const config: MetrogateConfig = { ...base, instruments: [bath], calibration: { ...base.calibration!, recordsDir } };

    const gateway = buildGateway(config, silentLogger(), { drivers: true, ingest: false });
    await gateway.start();
    const api = (await serveGatewayApi(gateway, config, silentLogger()))!;
    let fromApi: IntervalReport[];
    const root = api.url.replace(/\/$/, '');
    try {
      const res = await fetch(`${root}/api/intervals?instrument=bath-01`);
      expect(res.status, await res.clone().text()).toBe(200);
      fromApi = ((await res.json()) as { reports: IntervalReport[] }).reports;
      expect((await fetch(`${root}/api/intervals?instrument=nope`)).status).toBe(404);
      const cal = (await (await fetch(`${root}/api/calibration?instrument=bath-01`)).json()) as { instruments: { calibration: { due: string } }[] };
      expect(cal.instruments[0]!.calibration.due).toBe('2027-01-01');
    } finally {
      await api.close();
      await gateway.stop();
    }
    expect(fromApi).toHaveLength(1);
    expect(fromApi[0]).toMatchObject({ instrument: 'bath-01', certificates: 3, lastCertificate: 'P-2026', due: '2027-01-01', currentMonths: 12 });
    expect(fromApi[0]!.suggestions.map((x) => [x.method, x.months])).toEqual([
      ['staircase', 15],
      ['control-chart', 17],
    ]);

    const file = join(tmp, 'site.yaml');
    writeFileSync(
      file,
      stringify({
        site: config.site,
        mqtt: { url: base.mqtt.url },
        calibration: { recordsDir },
        instruments: [{ id: bath.id, protocol: bath.protocol, connection: bath.connection, channels: bath.channels, calibration: bath.calibration }],
      }),
    );
    const json = await runCli(['intervals', '--config', file, '--instrument', 'bath-01', '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(fromApi);
    const text = await runCli(['intervals', '--config', file]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^bath-01: 3 certificate\(s\), last P-2026 of 2026-01-01, due 2027-01-01 \(interval 12 months\)$/m);
    expect(text.stdout).toMatch(/^ {2}staircase: 15 months$/m);
    expect(text.stdout).toMatch(/^ {2}control-chart: 17 months$/m);
    const unknown = await runCli(['intervals', '--config', file, '--instrument', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no instrument "nope"/);
  }, 60_000);
});
