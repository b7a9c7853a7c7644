import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { silentLogger } from '../../gateway/log.js';
import { freePort } from '../../tools/private-services/free-port.js';
import { startMosquitto } from '../../tools/private-services/mosquitto.js';
import type { PrivateService } from '../../tools/private-services/daemon.js';
import type { Reading } from '../../gateway/reading.js';
import { MqttSink } from '../../gateway/sinks/mqtt/mqtt-sink.js';
import { startNode, type Child } from '../bench/children.js';
import { assertBuilt, CLI } from '../support/cli.js';
import { uniqueName } from '../support/e2e-fixture.js';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.js';
import { until } from '../support/until.js';

const cal = { status: 'valid' as const, certificate: 'C', due: '2030-01-01', daysToDue: 1000, traceable: true };

/**
 * An ingester that is connected and subscribed, yet receives no data: Mosquitto grants a
 * subscription its ACL does not let deliver (SUBACK QoS 1, then silence), the same picture as a
 * broker that lost a shared subscription. The gateway's statistics still come through, so the
 * ingester can tell: a warning, /readyz 503, metrogate_ingest_deaf 1. Once the broker delivers
 * again (ACL reloaded), it is ready again.
 */
describe('ingest: connected but deaf', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-deaf-'));
  let broker: PrivateService | undefined;
  let sink: MqttSink | undefined;
  let ingest: Child | undefined;
  afterAll(async () => {
    await ingest?.stop('SIGKILL');
    await sink?.stop();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says so in its log, readiness and metrics while gateways poll and no data arrives', async () => {
    assertBuilt();
    const prefix = uniqueName('mg');
    const site = 'deaf-site';
    const acl = join(dir, 'acl');
    const aclDenyingData = [`topic read ${prefix}/+/+/stats`, `topic readwrite ${prefix}/_probe/#`, `topic write ${prefix}/#`, ''].join('\n');
    writeFileSync(acl, aclDenyingData);
    broker = await startMosquitto({ extraConfig: [`acl_file ${acl}`] });
    const port = await freePort();
    const file = join(dir, 'ingest.yaml');
    writeFileSync(
      file,
      stringify({
        site,
        gateway: { id: 'deaf-ingest', logLevel: 'info' },
        instruments: [],
        api: { enabled: true, host: '127.0.0.1', port },
        mqtt: { url: broker.url, topicPrefix: prefix },
        influx: { url: inject('influxUrl'), database: uniqueName('db'), flushIntervalMs: 100 },
        ingest: { enabled: true, group: 'ingest', sites: [site] },
        spool: { dir: join(dir, 'spool') },
      }),
    );
    ingest = startNode(CLI, ['run', '--config', file, '--no-drivers']);
    await ingest.waitFor((l) => l.msg === 'ingest subscribed');

    // A gateway that polls and publishes: its statistics say so every 500 ms.
    sink = new MqttSink({
      site,
      gateway: 'gw',
      instruments: ['inst'],
      mqtt: { url: broker.url, topicPrefix: prefix, qos: 1, maxInFlight: 16 },
      log: silentLogger(),
    });
    await sink.start();
    let polled = 0;
    const gatewayAtWork = setInterval(() => {
      const readings: Reading[] = Array.from({ length: 50 }, (_, i) => ({
        site,
        instrument: 'inst',
        channel: `c${i}`,
        quantity: 'q',
        unit: 'V',
        ts: Date.now(),
        seq: polled + i + 1,
        raw: 1,
        value: 1,
        quality: 'good',
        cal,
      }));
      polled += readings.length;
      void sink!.write({ site, instrument: 'inst', readings }).catch(() => undefined);
      void sink!
        .writeStats({ ts: Date.now(), polled, published: polled, errors: 0, timeouts: 0, skippedCycles: 0, rssMB: 1, cpuShare: 0 })
        .catch(() => undefined);
    }, 500);
    const ready = async () => {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      const body = (await res.json()) as { components: { name: string; ready: boolean; detail: string }[] };
      return { status: res.status, ingest: body.components.find((c) => c.name === 'ingest') };
    };
    const deafMetric = async () => {
      return sampleValue(parsePrometheusText(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()), 'metrogate_ingest_deaf');
    };
    try {
      expect((await ready()).status, 'ready while it is too early to tell').toBe(200);
      const warned = await ingest.waitFor((l) => typeof l.msg === 'string' && l.msg.startsWith('ingest is connected but deaf'), 40_000);
      expect(Number(warned.readingsPolledMeanwhile)).toBeGreaterThanOrEqual(200);
      const r = await ready();
      expect(r.status).toBe(503);
      expect(r.ingest).toMatchObject({ ready: false });
      expect(r.ingest?.detail).toMatch(/DEAF/);
      expect(await deafMetric()).toBe(1);

      // The broker delivers again: the next data message makes it ready.
      writeFileSync(acl, [`topic read ${prefix}/#`, `topic write ${prefix}/#`, ''].join('\n'));
      process.kill(broker.pid, 'SIGHUP');
      await ingest.waitFor((l) => l.msg === 'ingest receives data again', 20_000);
      await until(async () => (await ready()).status === 200, '/readyz 200 once data arrives', 10_000);
      expect(await deafMetric()).toBe(0);
    } finally {
      clearInterval(gatewayAtWork);
    }
  }, 90_000);
});
