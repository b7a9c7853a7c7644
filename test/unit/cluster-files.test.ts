import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig, parseConfig } from '../../config/load-config.js';
import { ROOT } from '../support/e2e-fixture.js';

const dir = join(ROOT, 'config/deploy/cluster');
const env = { METROGATE_GATEWAY_ID: 'ingest-7f9c', MQTT_PASSWORD: 'x', METROGATE_API_TOKEN: 'c0ffee'.repeat(10) + '1234' };

describe('the cluster topology files document a deployment that would start', () => {
  it('the ingest config validates: an ingest-only process in a shared group with its own id', () => {
    const config = loadConfig(join(dir, 'ingest.yaml'), env);
    expect(config.instruments).toEqual([]);
    expect(config.ingest).toMatchObject({ enabled: true, group: 'ingest', sites: ['+'] });
    expect(config.gateway?.id).toBe('ingest-7f9c');
  });

  it('the Kubernetes ConfigMap carries the same config, and the pod name becomes the gateway id', () => {
    const [configMap, deployment] = parseAllDocuments(readFileSync(join(dir, 'ingest.k8s.yaml'), 'utf8')).map((d) => d.toJS());
    const embedded = parseConfig(configMap.data['config.yaml'], 'ingest.k8s.yaml#config.yaml', env);
    expect(embedded.ingest).toEqual(loadConfig(join(dir, 'ingest.yaml'), env).ingest);
    const container = deployment.spec.template.spec.containers[0];
    expect(container.env.find((e: { name: string }) => e.name === 'METROGATE_GATEWAY_ID').valueFrom.fieldRef.fieldPath).toBe('metadata.name');
    expect(container.args).toEqual(['run', '--no-drivers', '--config', '/etc/metrogate/config.yaml']);
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
  });

  it('the compose file mounts that config into ingest replicas that point at the brokers and InfluxDB', () => {
    const compose = parse(readFileSync(join(dir, 'compose.cluster.yaml'), 'utf8'));
    const ingest = compose.services.ingest;
    expect(ingest.volumes).toContain('./ingest.yaml:/etc/metrogate/config.yaml:ro');
    expect(ingest.deploy.replicas).toBeGreaterThanOrEqual(2);
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['emqx1', 'emqx2', 'influxdb', 'ingest']));
    expect(ingest.build.context).toBe('../../..');
    expect(readFileSync(join(dir, ingest.build.context, ingest.build.dockerfile), 'utf8')).toMatch(/^FROM /m);
  });
});
