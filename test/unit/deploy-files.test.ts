/**
 * Docker cannot run on the development machine, so this checks what can be checked without it:
 * the Dockerfile against the repository (what it copies exists and reaches the build context,
 * it builds and runs with the README's commands, its HEALTHCHECK answers for the real API), and
 * the compose stack against itself (paths, volumes, hosts, ports, the Grafana provisioning and
 * the gateway config, validated by the project's own loader).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, posix, relative, resolve } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../config/load-config.js';
import { asModbusTcp, type MetrogateConfig } from '../../config/schema.js';
import { devicesFromConfig } from '../../tools/simulators/modbus/index.js';
import { ApiSchema } from '../../gateway/api/api-config.js';
import { launchFlags } from '../../gateway/cli/launch-flags.js';
import { freePort } from '../../tools/private-services/free-port.js';
import { startCli } from '../support/cli.js';
import { execForm, healthcheckCommand, isIgnored, parseCopy, parseDockerfile, parseDockerignore, stagesOf, type Instruction } from '../support/dockerfile.js';
import { ROOT } from '../support/e2e-fixture.js';

const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');
const instructions = parseDockerfile(read('Dockerfile'));
const stages = stagesOf(instructions);
const ignore = parseDockerignore(read('.dockerignore'));
const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string>; bin: Record<string, string> };
const tsconfig = JSON.parse(read('tsconfig.json')) as { compilerOptions: { outDir: string; rootDir: string } };
const readme = read('README.md');
const OUT_DIR = tsconfig.compilerOptions.outDir;

const buildStage = stages[0]!;
const runtime = stages.at(-1)!;
const all = (stage: { instructions: Instruction[] }, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);
const last = (keyword: string) => all(runtime, keyword).at(-1);
const workdir = (stage: { instructions: Instruction[] }) => all(stage, 'WORKDIR').at(-1)?.args ?? '/';

/** The source a compiled file comes from: dist/gateway/cli/main.js → gateway/cli/main.ts. */
function sourceOf(compiled: string): string {
  const rel = posix.relative(OUT_DIR, compiled);
  if (rel.startsWith('..')) throw new Error(`${compiled} is not under the TypeScript outDir ${OUT_DIR}`);
  return posix.join(tsconfig.compilerOptions.rootDir, rel.replace(/\.js$/, '.ts'));
}

describe('Dockerfile', () => {
  it('has a build stage and a slim Node 20 runtime stage', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(buildStage.name).toBe('build');
    expect(runtime.image).toMatch(/^node:20[.\d]*-(bookworm-slim|slim|alpine)/);
    // better-sqlite3 compiles its addon when no prebuilt binary fits: the build needs a toolchain.
    expect(
      all(buildStage, 'RUN')
        .map((r) => r.args)
        .join('\n'),
    ).toMatch(/apt-get install[^\n]*python3[^\n]*make[^\n]*g\+\+/);
  });

  it('copies into the build only paths that exist in the repository and reach the build context', () => {
    const copies = all(buildStage, 'COPY').map(parseCopy);
    expect(copies.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const c of copies) {
      if (c.from) problems.push(`line ${c.line}: the build stage copies from another stage`);
      for (const src of c.sources) {
        if (!existsSync(join(ROOT, src))) problems.push(`line ${c.line}: ${src} does not exist`);
        if (isIgnored(ignore, src)) problems.push(`line ${c.line}: ${src} is excluded by .dockerignore`);
      }
    }
    expect(problems).toEqual([]);
    // What the TypeScript build compiles (tsconfig include, tests aside) goes into the build.
    const copied = copies.flatMap((c) => c.sources);
    const { include } = JSON.parse(read('tsconfig.json')) as { include: string[] };
    for (const dir of include.filter((d) => d !== 'test')) expect(copied, `tsconfig includes ${dir}`).toContain(dir);
    for (const f of ['package.json', 'package-lock.json', 'tsconfig.json']) expect(copied).toContain(f);
  });

  it('copies into the runtime only what the build stage has: its own files, node_modules and the compiled outDir', () => {
    const app = workdir(buildStage);
    const inBuild = all(buildStage, 'COPY')
      .map(parseCopy)
      .flatMap((c) => c.sources.map((s) => ({ container: posix.join(app, c.dest.endsWith('/') || c.dest === './' ? posix.basename(s) : c.dest), repo: s })));
    const problems: string[] = [];
    const copies = all(runtime, 'COPY').map(parseCopy);
    for (const c of copies) {
      if (c.from !== buildStage.name) {
        problems.push(`line ${c.line}: runtime copies from ${c.from ?? 'the build context'}, not from the build stage`);
        continue;
      }
      for (const src of c.sources) {
        const made = [posix.join(app, 'node_modules'), posix.join(app, OUT_DIR)];
        if (made.some((m) => src === m || src.startsWith(m + '/'))) continue;
        const owner = inBuild.find((b) => src === b.container || src.startsWith(b.container + '/'));
        if (!owner) {
          problems.push(`line ${c.line}: ${src} is neither copied into nor made by the build stage`);
          continue;
        }
        const repoPath = posix.join(owner.repo, posix.relative(owner.container, src));
        if (!existsSync(join(ROOT, repoPath))) problems.push(`line ${c.line}: ${repoPath} does not exist in the repository`);
        if (isIgnored(ignore, repoPath)) problems.push(`line ${c.line}: ${repoPath} is excluded by .dockerignore`);
      }
    }
    expect(problems).toEqual([]);
    expect(copies.flatMap((c) => c.sources)).toEqual(expect.arrayContaining([`${app}/node_modules`, `${app}/package.json`]));
  });

  it('copies into the runtime the compiled gateway, drivers and config, and no tooling (tools/, test/)', () => {
    const app = workdir(buildStage);
    const compiled = all(runtime, 'COPY')
      .map(parseCopy)
      .flatMap((c) => c.sources)
      .filter((s) => s.startsWith(`${app}/${OUT_DIR}`))
      .map((s) => posix.relative(`${app}/${OUT_DIR}`, s));
    const { include } = JSON.parse(read('tsconfig.json')) as { include: string[] };
    expect(include).toEqual(expect.arrayContaining(['tools', 'test']));
    expect(compiled.sort()).toEqual(include.filter((d) => !['tools', 'test'].includes(d)).sort());
  });

  it('has a simulator stage for the compose stack, apart from the runtime image', () => {
    const sim = stages.find((s) => s.name === 'simulator');
    expect(sim).toBeDefined();
    expect(sim).not.toBe(runtime);
    const entry = execForm(all(sim!, 'ENTRYPOINT').at(-1)!.args)!;
    expect(existsSync(join(ROOT, sourceOf(entry[1]!)))).toBe(true);
    expect(all(sim!, 'USER').at(-1)?.args).toBe('node');
  });

  it("builds with the README's commands: npm ci, npm run build (then drops the dev dependencies)", () => {
    expect(readme).toContain('npm ci && npm run build');
    const commands = all(buildStage, 'RUN').flatMap((r) => r.args.split(/&&|;/).map((c) => c.trim().replace(/\s+/g, ' ')));
    const npm = commands.filter((c) => c.startsWith('npm '));
    expect(npm).toEqual(['npm ci', 'npm run build', 'npm prune --omit=dev']);
    for (const c of npm.filter((x) => x.startsWith('npm run '))) expect(Object.keys(pkg.scripts)).toContain(c.split(' ')[2]);
    expect(
      all(runtime, 'RUN')
        .map((r) => r.args)
        .join('\n'),
    ).not.toMatch(/npm (ci|install)/);
  });

  it('runs the gateway as the README does, as an unprivileged user, with config and data volumes', () => {
    const command = [...execForm(last('ENTRYPOINT')!.args)!, ...execForm(last('CMD')!.args)!];
    // The node flags of the bin's shebang (the heap sizing of a long-running gateway), then the bin.
    const flags = launchFlags(join(ROOT, 'gateway/cli/main.ts'));
    expect(flags).toContain('--max-semi-space-size=8');
    expect(command).toEqual(['node', ...flags, 'dist/gateway/cli/main.js', 'run', '--config', '/etc/metrogate/config.yaml']);
    const [, ...launch] = command;
    const bin = launch[flags.length]!;
    expect(readme).toContain(`node ${launch.slice(0, flags.length + 2).join(' ')} --config`);
    expect(pkg.bin.metrogate).toBe(bin);
    expect(existsSync(join(ROOT, sourceOf(bin)))).toBe(true);
    expect(workdir(runtime)).toBe(workdir(buildStage));

    const user = last('USER')?.args;
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user!.split(':')[0]);
    const volumes = execForm(last('VOLUME')!.args)!;
    expect(volumes).toEqual(expect.arrayContaining([posix.dirname(command.at(-1)!), '/var/lib/metrogate']));
  });

  it('keeps host installs, builds, tests and git out of the build context', () => {
    for (const p of ['node_modules', 'node_modules/yaml/package.json', 'dist', 'dist/gateway/cli/main.js', 'test', '.git', 'spool']) {
      expect(isIgnored(ignore, p), p).toBe(true);
    }
    expect(isIgnored(ignore, sourceOf(pkg.bin.metrogate!))).toBe(false);
  });
});

describe('Dockerfile HEALTHCHECK', () => {
  const health = last('HEALTHCHECK')!;
  const command = healthcheckCommand(health);
  const argv = typeof command === 'string' ? ['sh', '-c', command] : command;
  const probe = (env: Record<string, string>) =>
    new Promise<number | null>((resolvePromise) => {
      const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...env }, stdio: 'ignore' });
      child.on('exit', (code) => resolvePromise(code));
    });
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it("probes GET /healthz on the API's default port", () => {
    const port = (ApiSchema.properties.port as { default: number }).default;
    expect(argv.join(' ')).toContain(`http://127.0.0.1:${port}/healthz`);
    expect(health.args).toMatch(/--interval=\d+s/);
  });

  it('passes while the real API answers /healthz and fails once the gateway is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'metrogate-health-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      `site: health-check\nmqtt:\n  url: ${inject('mqttUrl')}\napi:\n  host: 127.0.0.1\n  port: ${port}\nspool:\n  dir: ${join(dir, 'spool')}\ninstruments: []\n`,
    );
    const gw = startCli(['run', '--config', config]);
    cleanups.push(() => void gw.child.kill('SIGKILL'));
    const url = `http://127.0.0.1:${port}/healthz`;
    const deadline = Date.now() + 15_000;
    while (
      !(await fetch(url).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (Date.now() > deadline || gw.child.exitCode !== null) throw new Error(`the API never answered ${url}:\n${gw.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await probe({ METROGATE_HEALTHCHECK_URL: url })).toBe(0);
    gw.child.kill('SIGTERM');
    await gw.done;
    expect(await probe({ METROGATE_HEALTHCHECK_URL: url })).not.toBe(0);
  });

  it('fails when the API answers anything but 200', async () => {
    const server = createServer((_req, res) => res.writeHead(503).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const { port } = server.address() as { port: number };
    expect(await probe({ METROGATE_HEALTHCHECK_URL: `http://127.0.0.1:${port}/healthz` })).toBe(1);
  });
});

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string; target?: string };
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { disable?: boolean; test?: string[] };
}

const DEPLOY = join(ROOT, 'config/deploy');
const compose = parse(readFileSync(join(DEPLOY, 'compose.yaml'), 'utf8')) as { services: Record<string, ComposeService>; volumes?: Record<string, unknown> };
const services = compose.services;

interface Mount {
  service: string;
  /** Absolute host path of a bind mount, or the name of a named volume. */
  source: string;
  bind: boolean;
  target: string;
}

const mounts: Mount[] = Object.entries(services).flatMap(([service, s]) =>
  (s.volumes ?? []).map((v) => {
    const [source, target] = v.split(':') as [string, string];
    const bind = source.startsWith('.') || source.startsWith('/');
    return { service, source: bind ? resolve(DEPLOY, source) : source, bind, target };
  }),
);
/** The host path a container path of a service comes from, through its bind mounts. */
function hostPath(service: string, containerPath: string): string | undefined {
  const m = mounts.find((x) => x.service === service && x.bind && (containerPath === x.target || containerPath.startsWith(x.target + '/')));
  return m && join(m.source, posix.relative(m.target, containerPath));
}

/** Where the image's CMD reads the config (run --config <path>). */
const IMAGE_CONFIG = execForm(last('CMD')!.args)!.at(-1)!;
/**
 * The gateway config as the container sees it: every ${VAR:-default} takes its default, and the
 * API token compose requires from the shell (${METROGATE_API_TOKEN:?…}) is set.
 */
const gatewayConfigPath = hostPath('gateway', IMAGE_CONFIG);
const gatewayConfig = (): MetrogateConfig =>
  loadConfig(gatewayConfigPath!, { METROGATE_API_TOKEN: '9b2e61d07fa43c58e1b6d294a07c3f5e8d1a6b2c9e04f7a3d5c8b1e6f2a9d403' });

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
    const entry = execForm(all(stages.find((s) => s.name === target)!, 'ENTRYPOINT').at(-1)!.args)!;
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
    expect(readme + read('drivers/modbus/README.md')).toContain(`node ${script} --config`);
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
