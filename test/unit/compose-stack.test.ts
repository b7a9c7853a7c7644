/**
 * The compose stack (config/deploy/compose.yaml) against itself and the repository, without a
 * Docker daemon: paths, volumes, hosts, ports, the Grafana provisioning and the gateway config,
 * validated by the project's own loader.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { asModbusTcp } from '../../config/schema.js';
import { devicesFromConfig } from '../../tools/simulators/modbus/index.js';
import { compose, DEPLOY, gatewayConfig, gatewayConfigPath, hostPath, mounts, services } from '../support/compose-stack.js';
import { execForm } from '../support/dockerfile.js';
import { ROOT } from '../support/e2e-fixture.js';
import { allOf, IMAGE_CONFIG, readRepoFile, sourceOf, stages } from '../support/repo-dockerfile.js';

const readme = readRepoFile('README.md');

describe('compose stack (config/deploy/compose.yaml)', () => {
  it('runs Mosquitto 2, InfluxDB 1.8, Grafana, the gateway and the simulator', () => {
    expect(Object.keys(services).sort()).toEqual(['gateway', 'grafana', 'influxdb', 'mosquitto', 'simulator']);
    expect(services.influxdb!.image).toBe('influxdb:1.8');
    expect(services.mosquitto!.image).toMatch(/^eclipse-mosquitto:2/);
    expect(services.grafana!.image).toMatch(/^grafana\/grafana(-oss)?:1[01]\./);
  });

  it("builds the gateway (the runtime stage) and the simulator (its own stage) from the repository's Dockerfile", () => {
    for (const name of ['gateway', 'simulator']) {
      const build = services[name]!.build!;
      expect(resolve(DEPLOY, build.context), name).toBe(ROOT);
      expect(existsSync(join(ROOT, build.dockerfile ?? 'Dockerfile')), name).toBe(true);
    }
    // No target: the last stage, the runtime image without the simulator.
    expect(services.gateway!.build!.target).toBeUndefined();
    const target = services.simulator!.build!.target;
    expect(stages.map((s) => s.name)).toContain(target);
    const entry = execForm(allOf(stages.find((s) => s.name === target)!, 'ENTRYPOINT').at(-1)!.args)!;
    expect(services.simulator!.entrypoint).toEqual(entry);
    expect(services.gateway!.image).not.toBe(services.simulator!.image);
  });

  it('mounts only files and folders that exist, and declares every named volume', () => {
    const problems = mounts.flatMap((m) => {
      if (m.bind) return existsSync(m.source) ? [] : [`${m.service}: ${relative(ROOT, m.source)} does not exist`];
      return compose.volumes && m.source in compose.volumes ? [] : [`${m.service}: volume ${m.source} is not declared`];
    });
    expect(problems).toEqual([]);
    for (const [name, s] of Object.entries(services)) {
      for (const dep of Object.keys(s.depends_on ?? {})) expect(Object.keys(services), `${name} depends on ${dep}`).toContain(dep);
    }
  });

  it('gives the gateway its config where the image looks for it, and its data volume for the spool and records', () => {
    expect(gatewayConfigPath).toBeDefined();
    const data = mounts.find((m) => m.service === 'gateway' && !m.bind)!;
    expect(data.target).toBe('/var/lib/metrogate');
    const config = gatewayConfig();
    for (const dir of [config.spool?.dir, config.calibration?.recordsDir, config.calibration?.reportsDir]) {
      expect(dir, 'kept on the data volume').toMatch(/^\/var\/lib\/metrogate\//);
    }
  });

  it("has a gateway config that the project's loader accepts and that names the compose services", () => {
    const config = gatewayConfig();
    const mqtt = new URL(config.mqtt!.url);
    expect(mqtt.hostname).toBe('mosquitto');
    const listener = /^listener\s+(\d+)/m.exec(readFileSync(hostPath('mosquitto', '/mosquitto/config/mosquitto.conf')!, 'utf8'));
    expect(mqtt.port || '1883').toBe(listener?.[1]);
    expect(new URL(config.influx!.url).host).toBe('influxdb:8086');
    expect(config.ingest?.enabled).toBe(true);
    expect(config.instruments.length).toBeGreaterThan(0);
    for (const inst of config.instruments) expect(asModbusTcp(inst).connection.host, inst.id).toBe('simulator');
    // The API listens on every interface of the container, on the port compose publishes and the
    // HEALTHCHECK probes.
    expect(config.api).toMatchObject({ host: '0.0.0.0', port: 8080 });
    expect(services.gateway!.ports).toContain('8080:8080');
  });

  it("runs the simulator on the gateway's config, serving every instrument on all interfaces", () => {
    const sim = services.simulator!;
    const [node, script, ...rest] = [...sim.entrypoint!, ...sim.command!];
    expect(node).toBe('node');
    expect(readme + readRepoFile('drivers/modbus/README.md')).toContain(`node ${script} --config`);
    expect(existsSync(join(ROOT, sourceOf(script!)))).toBe(true);
    expect(rest).toEqual(['--config', IMAGE_CONFIG, '--host', '0.0.0.0']);
    expect(hostPath('simulator', IMAGE_CONFIG)).toBe(gatewayConfigPath);
    const { devices, skipped } = devicesFromConfig(gatewayConfig());
    expect(skipped).toEqual([]);
    expect(devices.map((d) => d.id).sort()).toEqual(
      gatewayConfig()
        .instruments.map((i) => i.id)
        .sort(),
    );
    // The image's HEALTHCHECK probes the gateway API, which the simulator does not serve.
    expect(sim.healthcheck?.disable).toBe(true);
  });

  it('provisions Grafana with our InfluxDB datasource and the dashboards folder the provider reads', () => {
    const datasourceDir = hostPath('grafana', '/etc/grafana/provisioning/datasources')!;
    const providerDir = hostPath('grafana', '/etc/grafana/provisioning/dashboards')!;
    expect(datasourceDir).toBe(join(ROOT, 'dashboards/provisioning/datasources'));
    expect(providerDir).toBe(join(ROOT, 'dashboards/provisioning/dashboards'));

    const yamls = (dir: string) =>
      readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .map((f) => parse(readFileSync(join(dir, f), 'utf8')) as unknown);
    const [ds] = yamls(datasourceDir).flatMap((y) => (y as { datasources: { type: string; url: string; jsonData: { dbName: string } }[] }).datasources);
    expect(ds!.type).toBe('influxdb');
    expect(new URL(ds!.url).host).toBe(new URL(gatewayConfig().influx!.url).host);
    expect(ds!.jsonData.dbName).toBe(gatewayConfig().influx!.database);

    const providers = yamls(providerDir).flatMap((y) => (y as { providers: { type: string; options: { path: string } }[] }).providers);
    expect(providers).toHaveLength(1);
    expect(providers[0]!.type).toBe('file');
    const dashboards = hostPath('grafana', providers[0]!.options.path)!;
    expect(dashboards).toBe(join(ROOT, 'dashboards/json'));
    expect(readdirSync(dashboards).filter((f) => f.endsWith('.json')).length).toBeGreaterThanOrEqual(4);

    const home = hostPath('grafana', services.grafana!.environment!.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH!)!;
    expect(statSync(home).isFile()).toBe(true);
    expect(services.grafana!.environment).not.toHaveProperty('GF_INSTALL_PLUGINS');
  });

  it('lets Mosquitto take the gateway without credentials, as its config has none', () => {
    const conf = readFileSync(hostPath('mosquitto', '/mosquitto/config/mosquitto.conf')!, 'utf8');
    expect(gatewayConfig().mqtt!.username).toBeUndefined();
    expect(conf).toMatch(/^allow_anonymous true$/m);
  });
});
