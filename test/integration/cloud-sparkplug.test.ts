import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { startCli } from '../support/cli.js';
import { demoLab, uniqueName } from '../support/e2e-fixture.js';
import { until } from '../support/until.js';

// Eclipse Tahu's decoder: an implementation independent of ours.
const tahu = createRequire(import.meta.url)('sparkplug-payload').get('spBv1.0') as {
  encodePayload(p: object): Uint8Array;
  decodePayload(b: Uint8Array): { seq?: unknown; metrics?: TahuMetric[] };
};
interface TahuMetric {
  name?: string;
  alias?: unknown;
  type: string;
  value: unknown;
  timestamp?: unknown;
  properties?: Record<string, { type: string; value: unknown }>;
}
const n = (v: unknown): number => (typeof v === 'number' ? v : Number(String(v)));

interface Message {
  type: string;
  device: string | undefined;
  seq: number | undefined;
  metrics: TahuMetric[];
}

describe('Sparkplug B uplink, decoded by Eclipse Tahu (sparkplug-payload)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-spb-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('NBIRTH/DBIRTH then DDATA by alias with seq 0–255, rebirth on NCMD, NDEATH as the will with the same bdSeq', async () => {
    const { config, sim } = await demoLab(inject('mqttUrl'), inject('influxUrl'), 50);
    const group = uniqueName('grp');
    const file = join(dir, 'spb.yaml');
    writeFileSync(
      file,
      stringify({
        ...config,
        gateway: { id: 'spb-gw', logLevel: 'info' },
        ingest: { enabled: false },
        api: { enabled: false },
        spool: { dir: join(dir, 'spool') },
        cloud: { enabled: true, url: config.mqtt.url, format: 'sparkplug', sparkplug: { groupId: group, edgeNodeId: 'edge-7' } },
      }),
    );
    const host: MqttClient = await connectAsync(config.mqtt.url, { protocolVersion: 5 });
    const messages: Message[] = [];
    host.on('message', (topic, payload) => {
      const [, , type, , device] = topic.split('/');
      const p = tahu.decodePayload(payload);
      messages.push({ type: type!, device, seq: p.seq === undefined ? undefined : n(p.seq), metrics: p.metrics ?? [] });
    });
    await host.subscribeAsync(`spBv1.0/${group}/#`, { qos: 1 });
    const gw = startCli(['run', '--config', file]);
    const alive = () => {
      if (gw.child.exitCode !== null) throw new Error(`the gateway exited (${gw.child.exitCode}):\n${gw.output().slice(-2000)}`);
    };
    try {
      await until(() => (alive(), messages.filter((m) => m.type === 'DDATA').length >= 300), '300 DDATA messages', 20_000);
      // A Sparkplug host asks for a rebirth.
      const rebirth = tahu.encodePayload({ timestamp: Date.now(), metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }] });
      await host.publishAsync(`spBv1.0/${group}/NCMD/edge-7`, Buffer.from(rebirth), { qos: 0 });
      await until(() => messages.filter((m) => m.type === 'NBIRTH').length === 2, 'the rebirth', 20_000);
      await until(() => messages.length > messages.findLastIndex((m) => m.type === 'NBIRTH') + 10, 'data after the rebirth', 20_000);
      gw.child.kill('SIGKILL');
      await gw.done;
      await until(() => messages.some((m) => m.type === 'NDEATH'), 'NDEATH (the last will)', 20_000);
    } finally {
      if (gw.child.exitCode === null) gw.child.kill('SIGKILL');
      await host.endAsync();
      await sim.stop();
    }

    // Births: NBIRTH (seq 0, bdSeq, rebirth control), then one DBIRTH per instrument.
    const births = messages.flatMap((m, i) => (m.type === 'NBIRTH' ? [i] : []));
    expect(births).toHaveLength(2);
    const bdSeqs: number[] = [];
    for (const at of births) {
      const nbirth = messages[at]!;
      expect(nbirth.seq).toBe(0);
      bdSeqs.push(n(nbirth.metrics.find((m) => m.name === 'bdSeq')!.value));
      expect(nbirth.metrics.find((m) => m.name === 'Node Control/Rebirth')).toMatchObject({ type: 'Boolean', value: false });
      const dbirths = messages.slice(at + 1, at + 1 + config.instruments.length);
      expect(dbirths.map((m) => [m.type, m.device])).toEqual(config.instruments.map((i) => ['DBIRTH', i.id]));
    }
    // The will carries the bdSeq of the session it ends.
    const death = messages.find((m) => m.type === 'NDEATH')!;
    expect(death.seq).toBeUndefined();
    expect(n(death.metrics.find((m) => m.name === 'bdSeq')!.value)).toBe(bdSeqs[1]);
    expect(bdSeqs[1]).toBe(bdSeqs[0]);

    // seq: 0 at each NBIRTH, then +1 per message of the node, wrapping after 255.
    const session = messages.filter((m) => m.type !== 'NDEATH' && m.type !== 'NCMD');
    let expected = -1;
    for (const m of session) {
      expected = m.type === 'NBIRTH' ? 0 : (expected + 1) % 256;
      expect(m.seq, `${m.type} ${m.device ?? ''}`).toBe(expected);
    }
    expect(session.filter((m) => m.seq === 255).length).toBeGreaterThan(0);

    // Aliases: declared with names in DBIRTH, unique across the node; DDATA uses aliases only.
    const declared = new Map<string, Map<number, TahuMetric>>();
    for (const m of messages.filter((x) => x.type === 'DBIRTH')) {
      declared.set(m.device!, new Map(m.metrics.map((x) => [n(x.alias), x])));
    }
    const allAliases = [...declared.values()].flatMap((d) => [...d.keys()]);
    expect(new Set(allAliases).size).toBe(allAliases.length);
    const bathBirth = [...declared.get('bath-01')!.values()];
    expect(bathBirth.find((m) => m.name === 'temperature')).toMatchObject({ type: 'Double', properties: { engUnit: { type: 'String', value: '°C' } } });
    expect(bathBirth.find((m) => m.name === 'circulating')).toMatchObject({ type: 'Boolean' });
    expect(bathBirth.find((m) => m.name === 'Calibration/status')).toMatchObject({ type: 'String', value: 'valid' });
    expect(bathBirth.find((m) => m.name === 'Calibration/certificate')).toMatchObject({ value: 'E2E-VALID' });
    expect([...declared.get('dmm-01')!.values()].find((m) => m.name === 'serial')).toMatchObject({ type: 'String' });

    const temperatureAlias = n(bathBirth.find((m) => m.name === 'temperature')!.alias);
    const lastSeqAlias = n(bathBirth.find((m) => m.name === 'Readings/lastSeq')!.alias);
    const bathData = messages.filter((m) => m.type === 'DDATA' && m.device === 'bath-01');
    for (const m of bathData) {
      for (const metric of m.metrics) {
        expect(metric.name).toBeUndefined();
        expect(declared.get('bath-01')!.has(n(metric.alias))).toBe(true);
      }
    }
    // The values are what the instrument served, and the readings' seq runs without a gap.
    const temperatures = bathData.flatMap((m) => m.metrics.filter((x) => n(x.alias) === temperatureAlias).map((x) => x.value));
    expect(new Set(temperatures)).toEqual(new Set([sim.device('bath-01').value('temperature')]));
    // Status changes (online, calibration) come as DDATA of their own, without readings.
    const readingData = bathData.filter((m) => m.metrics.some((x) => n(x.alias) === temperatureAlias));
    const lastSeqs = readingData.map((m) => n(m.metrics.find((x) => n(x.alias) === lastSeqAlias)!.value));
    expect(lastSeqs.length).toBeGreaterThan(20);
    expect(lastSeqs).toEqual(lastSeqs.map((_, i) => lastSeqs[0]! + 4 * i));
  });
});
