import { asModbusTcp } from '../../config/schema.js';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, loadConfig, parseConfig } from '../../config/load-config.js';
import { ConfigSchema } from '../../config/schema.js';
import { BASE, FILE, configError, edit, lineOf, messages } from './config-fixtures.js';

const EXAMPLE = new URL('../../config/examples/example.yaml', import.meta.url).pathname;

describe('loading a valid config', () => {
  it('loads the committed example with no environment set', () => {
    const config = loadConfig(EXAMPLE, {});
    expect(config.site).toBe('nim-east-lab');
    expect(config.mqtt!.url).toBe('mqtt://localhost:1883');
    expect(config.mqtt!.password).toBe('');
    expect(config.instruments.map((i) => i.id)).toEqual([
      'climate-chamber-1',
      'balance-1',
      'pressure-gauge-7',
      'climate-chamber-2',
      'pressure-controller-3',
      'thermometer-4',
      'hygrometer-5',
      'flow-rig-1',
    ]);
  });

  it('sets every option of the schema at least once, so the example documents them all', () => {
    const child = (prefix: string, key: string) => (prefix === '' ? key : `${prefix}.${key}`);
    const optionPaths = (schema: unknown, prefix: string): string[] => {
      const s = schema as { properties?: Record<string, unknown>; items?: unknown; oneOf?: unknown[] };
      if (s.items) return optionPaths(s.items, `${prefix}[]`);
      // Instruments: every protocol's options must be shown by some instrument of the example.
      if (s.oneOf) return [...new Set(s.oneOf.flatMap((branch) => optionPaths(branch, prefix)))];
      return Object.entries(s.properties ?? {}).flatMap(([k, v]) => [child(prefix, k), ...optionPaths(v, child(prefix, k))]);
    };
    const writtenPaths = (value: unknown, prefix: string): string[] => {
      if (Array.isArray(value)) return value.flatMap((v) => writtenPaths(v, `${prefix}[]`));
      if (typeof value !== 'object' || value === null) return [];
      return Object.entries(value).flatMap(([k, v]) => [child(prefix, k), ...writtenPaths(v, child(prefix, k))]);
    };
    const written = new Set(writtenPaths(parse(readFileSync(EXAMPLE, 'utf8')), ''));
    expect(written).toContain('instruments[].channels[].order');
    const missing = optionPaths(ConfigSchema, '').filter((p) => !written.has(p));
    expect(missing).toEqual([]);
  });

  it('fills options the example leaves out with their defaults', () => {
    const gauge = asModbusTcp(loadConfig(EXAMPLE, {}).instruments[2]);
    expect(gauge?.connection).toEqual({ host: '192.168.10.21', port: 502, unitId: 2, timeoutMs: 1000 });
    expect(gauge?.pollIntervalMs).toBe(1000);
    expect(gauge?.channels[0]).toMatchObject({ function: 'holding', order: 'ABCD', offset: 0, unit: 'kPa' });
  });

  it('applies every default to a minimal config', () => {
    const config = parseConfig('site: s\nmqtt:\n  url: mqtt://broker\n', FILE, {});
    expect(config.mqtt).toEqual({ url: 'mqtt://broker', topicPrefix: 'metrogate', qos: 1, maxInFlight: 256, requireSubscribers: true });
    expect(config.instruments).toEqual([]);
    const channel = parseConfig(BASE, FILE, {}).instruments[0]?.channels[0];
    expect(channel).toEqual({
      id: 't1',
      function: 'holding',
      address: 0,
      type: 'float32',
      order: 'ABCD',
      scale: 1,
      offset: 0,
      quantity: 'temperature',
      unit: '',
    });
  });

  it('computes due from intervalMonths so later code reads only due', () => {
    const balance = loadConfig(EXAMPLE, {}).instruments[1];
    expect(balance?.calibration?.due).toBe('2026-06-30');
    const monthEnd = `${BASE}    calibration:\n      certificate: C-1\n      calibrated: "2024-01-31"\n      intervalMonths: 1\n`;
    expect(parseConfig(monthEnd, FILE, {}).instruments[1]?.calibration?.due).toBe('2024-02-29');
  });
});

describe('environment variables', () => {
  it('fills ${VAR} from the environment', () => {
    const text = edit(BASE, 'url: mqtt://localhost:1883', 'url: ${MQTT_URL}');
    expect(parseConfig(text, FILE, { MQTT_URL: 'mqtts://broker:8883' }).mqtt!.url).toBe('mqtts://broker:8883');
  });

  it('uses the default of ${VAR:-default} when the variable is unset or empty, the value otherwise', () => {
    const text = edit(BASE, 'url: mqtt://localhost:1883', 'url: ${MQTT_URL:-mqtt://fallback:1883}');
    expect(parseConfig(text, FILE, {}).mqtt!.url).toBe('mqtt://fallback:1883');
    expect(parseConfig(text, FILE, { MQTT_URL: '' }).mqtt!.url).toBe('mqtt://fallback:1883');
    expect(parseConfig(text, FILE, { MQTT_URL: 'mqtt://set' }).mqtt!.url).toBe('mqtt://set');
  });

  it('reports an unset variable without default, naming the variable and the path', () => {
    const text = edit(BASE, '      host: 10.0.0.6', '      host: ${SCALE_HOST}');
    expect(messages(text)).toEqual([
      `${FILE}: instruments[1].connection.host: environment variable SCALE_HOST is not set; ` +
        `or give a default: \${SCALE_HOST:-value} (line ${lineOf(text, 'SCALE_HOST')})`,
    ]);
  });

  it('keeps $${X} as the literal text ${X}', () => {
    const text = edit(BASE, 'url: mqtt://localhost:1883', 'url: mqtt://localhost:1883\n  clientId: gw-$${HOSTNAME}-$$x');
    expect(parseConfig(text, FILE, { HOSTNAME: 'box' }).mqtt!.clientId).toBe('gw-${HOSTNAME}-$$x');
  });

  it('keeps a value with YAML syntax one string: the environment cannot change the structure', () => {
    const text = edit(BASE, 'url: mqtt://localhost:1883', 'url: mqtt://localhost:1883\n  username: gw\n  password: ${MQTT_PASSWORD}');
    const password = 'x\nqos: 0\n  - [a, {b: c}] # ';
    const config = parseConfig(text, FILE, { MQTT_PASSWORD: password });
    expect(config.mqtt!.password).toBe(password);
    expect(config.mqtt!.qos).toBe(1);
  });

  it('reports a malformed reference', () => {
    const text = edit(BASE, '      host: 10.0.0.6', '      host: ${1BAD}');
    expect(messages(text)[0]).toContain('instruments[1].connection.host: malformed variable reference');
  });
});

describe('secrets', () => {
  it('never shows a password in a message, only ***', () => {
    const text = edit(BASE, 'url: mqtt://localhost:1883', 'url: mqtt://localhost:1883\n  password: 90210473');
    const message = configError(text).message;
    expect(message).toBe(`${FILE}: mqtt.password: expected a string, got a number ***; put it in quotes (line ${lineOf(text, 'password')})`);
    expect(message).not.toContain('90210473');
  });

  it('keeps the source line, which may hold a password, out of YAML syntax errors', () => {
    const text = edit(BASE, 'url: mqtt://localhost:1883', 'url: mqtt://localhost:1883\n  password: "s3cr3t-pw');
    const message = configError(text).message;
    expect(message).toMatch(/^config\/test\.yaml: YAML syntax error: .* \(line \d+\)$/);
    expect(message).not.toContain('s3cr3t');
  });

  it('shows an influx password as *** too', () => {
    const text = `${BASE}influx:\n  url: http://db:8086\n  password: [hunter2]\n`;
    expect(messages(text)).toEqual([`${FILE}: influx.password: expected a string, got a list (line ${lineOf(text, 'hunter2')})`]);
  });
});

describe('the file itself', () => {
  it('reports a missing file by name', () => {
    let error: unknown;
    try {
      loadConfig('/nonexistent/metrogate.yaml', {});
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).file).toBe('/nonexistent/metrogate.yaml');
    expect((error as ConfigError).message).toBe('/nonexistent/metrogate.yaml: cannot read the config file: no such file');
  });

  it('reports one YAML syntax error with its line', () => {
    const text = edit(BASE, '    channels:\n      - id: m', '    channels:\n      - id: m\n     bad: [');
    const error = configError(text);
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]?.line).toBe(lineOf(text, 'bad: ['));
    expect(error.message).toMatch(/^config\/test\.yaml: YAML syntax error: .+ \(line \d+\)$/);
  });

  it('reports a duplicate key as a YAML error with its line', () => {
    const text = edit(BASE, '  url: mqtt://localhost:1883', '  url: mqtt://localhost:1883\n  url: mqtt://other');
    expect(messages(text)).toEqual([`${FILE}: YAML syntax error: duplicated mapping key (line ${lineOf(text, 'other')})`]);
  });

  it('refuses aliases nested to blow up memory', () => {
    let text = 'l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i <= 9; i++)
      text += `l${i}: &l${i} [${Array(10)
        .fill(`*l${i - 1}`)
        .join(', ')}]\n`;
    // 10^10 values if expanded; the budget stops it after 5M copies.
    expect(messages(text)).toEqual([`${FILE}: the config expands to more than 5,000,000 values: aliases nested to blow up memory?`]);
  });

  it('reports an empty file', () => {
    expect(messages('# nothing yet\n')).toEqual([`${FILE}: the file is empty: expected site, mqtt and instruments`]);
  });

  it('exits with code 2', () => {
    expect(configError('site: s\n').exitCode).toBe(2);
  });
});

describe('YAML conveniences', () => {
  it('lets instruments share a connection block through an anchor and a merge key', () => {
    let text = edit(BASE, '    connection:\n      host: 10.0.0.5', '    connection: &gw\n      host: 10.0.0.5\n      port: 5020');
    text = edit(text, '    connection:\n      host: 10.0.0.6', '    connection:\n      <<: *gw\n      unitId: 2');
    const [oven, scale] = parseConfig(text, FILE, {}).instruments.map(asModbusTcp);
    expect(oven?.connection).toEqual({ host: '10.0.0.5', port: 5020, unitId: 1, timeoutMs: 1000 });
    expect(scale?.connection).toEqual({ host: '10.0.0.5', port: 5020, unitId: 2, timeoutMs: 1000 });
  });

  it('lets a large site share one channel list among hundreds of instruments through an anchor', () => {
    const channels = Array.from({ length: 50 }, (_, i) => `      - { id: r${i}, address: ${i}, type: uint16, quantity: signal }`).join('\n');
    const more = Array.from(
      { length: 300 },
      (_, i) => `  - id: dev-${i}\n    protocol: modbus-tcp\n    connection: { host: 10.0.1.${i % 250}, port: ${1000 + i} }\n    channels: *bench`,
    ).join('\n');
    const text =
      'site: big\nmqtt: { url: mqtt://localhost }\ninstruments:\n' +
      `  - id: dev-first\n    protocol: modbus-tcp\n    connection: { host: 10.0.0.1 }\n    channels: &bench\n${channels}\n${more}\n`;
    const config = parseConfig(text, FILE, {});
    expect(config.instruments).toHaveLength(301);
    expect(config.instruments[300]!.channels).toHaveLength(50);
    expect(config.instruments[300]!.channels[49]).toMatchObject({ id: 'r49', address: 49, order: 'ABCD' });
  });
});
