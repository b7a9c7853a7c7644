/**
 * Configs that the validator used to accept and that then broke at run time (issue 16): each is
 * now refused by `validate` with its file, path and what is expected.
 */
import { describe, expect, it } from 'vitest';
import { BASE, FILE, configError, edit, lineOf, messages } from './config-fixtures.js';
import { parseConfig } from '../../config/load-config.js';

const MQTT = '  url: mqtt://localhost:1883';
const withMqtt = (extra: string) => edit(BASE, MQTT, `${MQTT}\n${extra}`);

describe('settings bounded to what the runtime takes', () => {
  it('a millisecond setting beyond a Node.js timer is refused, saying why', () => {
    const text = edit(BASE, '  - id: scale', '  - id: scale\n    pollIntervalMs: 1e20');
    // js-yaml reads 1e20 as a float; the schema wants an integer, so also check a whole number.
    const big = edit(BASE, '  - id: scale', '  - id: scale\n    pollIntervalMs: 2147483648');
    expect(messages(big)).toEqual([
      `${FILE}: instruments[1].pollIntervalMs: expected ≤ 2147483647, got 2147483648 (milliseconds: the longest delay a ` +
        `Node.js timer takes, ~24.8 days; a longer one would fire at once) (line ${lineOf(big, 'pollIntervalMs')})`,
    ]);
    expect(messages(text)[0]).toMatch(/instruments\[1\]\.pollIntervalMs: expected ≤ 2147483647, got 100000000000000000000 \(milliseconds/);
    // Every timer setting, not only the poll interval.
    const many = edit(
      BASE,
      MQTT,
      `${MQTT}\ngateway:\n  statsIntervalMs: 9999999999\napi:\n  stream:\n    heartbeatMs: 9999999999\n` +
        `spool:\n  drainTimeoutMs: 9999999999\ninflux:\n  url: http://localhost:8086\n  flushIntervalMs: 9999999999`,
    );
    expect(configError(many).problems.map((p) => p.path)).toEqual([
      'gateway.statsIntervalMs',
      'api.stream.heartbeatMs',
      'spool.drainTimeoutMs',
      'influx.flushIntervalMs',
    ]);
    expect(() => parseConfig(edit(BASE, '  - id: scale', '  - id: scale\n    pollIntervalMs: 2147483647'), FILE)).not.toThrow();
  });

  it("sessionExpirySeconds beyond MQTT 5's 32 bits", () => {
    const text = withMqtt('ingest:\n  sessionExpirySeconds: 4294967296');
    expect(messages(text)).toEqual([`${FILE}: ingest.sessionExpirySeconds: expected ≤ 4294967295, got 4294967296 (line ${lineOf(text, 'session')})`]);
  });

  it('a password without its username', () => {
    const text = edit(BASE, MQTT, `${MQTT}\n  password: hunter2-secret`);
    expect(messages(text)).toEqual([
      `${FILE}: mqtt.password: a password needs its username: set username too (the server refuses a password alone) (line ${lineOf(text, 'password')})`,
    ]);
    expect(messages(text).join('\n')).not.toContain('hunter2');
  });

  it('a channel longer than maxRegistersPerRead lets one read take', () => {
    const text = edit(BASE, '  - id: scale', '  - id: scale\n    maxRegistersPerRead: 1').replace('type: int16', 'type: int32');
    expect(messages(text)).toEqual([
      `${FILE}: instruments[1].channels[0].type: int32 spans 2 registers, more than maxRegistersPerRead (1) lets one read ` +
        `take: raise maxRegistersPerRead or use a shorter type (line ${lineOf(text, 'type: int32')})`,
    ]);
    const string = edit(BASE, '  - id: scale', '  - id: scale\n    maxRegistersPerRead: 50').replace('type: int16', 'type: string(120)');
    expect(messages(string)[0]).toContain('instruments[1].channels[0].type: string(120) spans 60 registers, more than maxRegistersPerRead (50)');
  });
});

describe('names that would break topics or the line protocol', () => {
  it('a topic prefix under "$", the broker\'s own topics', () => {
    const text = withMqtt('  topicPrefix: $SYS/metrogate');
    expect(messages(text)).toEqual([
      `${FILE}: mqtt.topicPrefix: expected topic levels without the MQTT wildcards "#" and "+" or control characters, not starting with "$" ` +
        `(the broker's own topics), got "$SYS/metrogate" (line ${lineOf(text, 'topicPrefix')})`,
    ]);
  });

  it('ingest.sites with "/", "#" or "+" inside a name; "+" alone (the default) still means every site', () => {
    const text = withMqtt('ingest:\n  sites: [lab-1, "lab/2", "#", "lab+3"]');
    expect(configError(text).problems.map((p) => p.path)).toEqual(['ingest.sites[1]', 'ingest.sites[2]', 'ingest.sites[3]']);
    expect(messages(text)[0]).toBe(
      `${FILE}: ingest.sites[1]: expected a site id (letters, digits, "_", "." or "-"; no "/", "#" or "+") or "+" alone ` +
        `for every site, got "lab/2" (line ${lineOf(text, 'sites')})`,
    );
    expect(parseConfig(withMqtt('ingest:\n  enabled: true'), FILE).ingest?.sites).toEqual(['+']);
    expect(parseConfig(withMqtt('ingest:\n  sites: ["+"]'), FILE).ingest?.sites).toEqual(['+']);
  });

  it('newline or backslash in unit, quantity, measurement or database', () => {
    const text = edit(
      edit(BASE, 'quantity: temperature', 'quantity: "temp\\nerature"\n        unit: "deg\\\\C"'),
      MQTT,
      `${MQTT}\ninflux:\n  url: http://localhost:8086\n  database: "db\\nx"\n  measurement: 'read\\'`,
    );
    const problems = configError(text).problems;
    expect(problems.map((p) => p.path)).toEqual([
      'influx.database',
      'influx.measurement',
      'instruments[0].channels[0].quantity',
      'instruments[0].channels[0].unit',
    ]);
    expect(problems[0]?.message).toBe('expected the InfluxDB database: text without a backslash or control characters (newline, tab, …), got "db\\nx"');
    expect(problems[3]?.message).toBe(
      'expected unit after scaling, e.g. °C, kPa, g, V: text without a backslash or control characters (newline, tab, …), got "deg\\\\C"',
    );
  });
});

describe('URLs that connect to something', () => {
  it('mqtt:// with no host no longer means localhost', () => {
    const text = edit(BASE, MQTT, '  url: mqtt://');
    expect(messages(text)).toEqual([`${FILE}: mqtt.url: expected a host name after "//" (nothing means no host, not localhost), got "mqtt://" (line 3)`]);
  });

  it('a port beyond 65535', () => {
    const text = edit(BASE, MQTT, '  url: mqtt://broker.lab:99999');
    expect(messages(text)).toEqual([`${FILE}: mqtt.url: port 99999 is out of range: expected a port from 1 to 65535, got "mqtt://broker.lab:99999" (line 3)`]);
    const influx = withMqtt('influx:\n  url: http://db.lab:70000');
    expect(configError(influx).problems.map((p) => p.path)).toEqual(['influx.url']);
  });

  it('credentials in a URL are never echoed', () => {
    const text = edit(BASE, MQTT, '  url: mqtt://gw:s3cret-pw@:99999');
    const all = messages(text).join('\n');
    expect(all).toContain('mqtt.url');
    expect(all).not.toContain('s3cret-pw');
    expect(all).toContain('mqtt://***@:99999');
    const pattern = edit(BASE, MQTT, '  url: "ftp://gw:s3cret-pw@broker"');
    expect(messages(pattern).join('\n')).not.toContain('s3cret-pw');
  });
});

describe('YAML that used to crash or crawl', () => {
  it('an alias inside its own anchor is a config error, not a stack overflow', () => {
    const text = `${BASE}extra: &loop [1, *loop]\n`;
    expect(messages(text)).toEqual([
      `${FILE}: extra[1]: an alias refers to a node that contains it (a cycle): an alias may only repeat a node defined before it, outside itself`,
    ]);
  });

  it('unknown keys cost linear time (the line lookup was quadratic: 10,000 took 3 s)', () => {
    const timed = (n: number) => {
      const keys = Array.from({ length: n }, (_, i) => `  junk${i}: ${i}`).join('\n');
      const text = edit(BASE, MQTT, `${MQTT}\n${keys}`);
      const started = performance.now();
      const problems = configError(text).problems;
      const elapsed = performance.now() - started;
      expect(problems).toHaveLength(n);
      expect(problems[n - 1]?.line).toBe(lineOf(text, `junk${n - 1}:`));
      return elapsed;
    };
    timed(100); // the validator compiles once
    const small = timed(2_500);
    const large = timed(20_000);
    // 8× the keys. Measured on a busy 2-core box: 2.2× the time now (the fixed cost of a file
    // weighs), 11.8× with the quadratic lookup. A ratio, not a wall-clock bound, so a loaded
    // machine does not fail it.
    expect(large / small).toBeLessThan(6);
  });
});

describe('API exposure and tokens', () => {
  const STRONG = 'a3f1c9e07b5d2e4f6a8c0b1d3e5f7a9c2b4d6e8f0a1c3e5b7d9f1a3c5e7b9d0f'; // openssl rand -hex 32

  it('an API on another interface than loopback needs a token', () => {
    const text = withMqtt('api:\n  host: 0.0.0.0');
    expect(messages(text)).toEqual([
      `${FILE}: api.host: 0.0.0.0 is reachable from other machines: set api.token too (e.g. token: \${METROGATE_API_TOKEN}), or keep host 127.0.0.1 (line ${lineOf(text, 'host: 0.0.0.0')})`,
    ]);
    expect(() => parseConfig(withMqtt(`api:\n  host: 0.0.0.0\n  token: ${STRONG}`), FILE)).not.toThrow();
    for (const host of ['127.0.0.1', '127.0.1.1', 'localhost', '::1']) expect(() => parseConfig(withMqtt(`api:\n  host: "${host}"`), FILE), host).not.toThrow();
  });

  it('a token with whitespace could never be sent', () => {
    const text = withMqtt(`api:\n  token: "${STRONG.slice(0, 32)} ${STRONG.slice(32)}"`);
    expect(messages(text)).toEqual([
      `${FILE}: api.token: contains whitespace (space, tab or newline): a bearer token is one word, so no client could send it (line ${lineOf(text, 'token:')})`,
    ]);
  });

  it('a token under 128 bits of estimated entropy, with how it was estimated', () => {
    const hex = withMqtt('api:\n  token: 0123456789abcdef0123456789abcdef'.replace('0123456789abcdef0123456789abcdef', STRONG.slice(0, 30)));
    expect(messages(hex)).toEqual([
      `${FILE}: api.token: too easy to guess: ~120 bits estimated (30 hex digits: 30 × log2(16), assuming random characters), at least 128 needed; e.g. openssl rand -hex 32 (line ${lineOf(hex, 'token:')})`,
    ]);
    const repeated = withMqtt(`api:\n  token: "${'ab'.repeat(40)}"`);
    expect(messages(repeated)[0]).toContain(
      'api.token: too easy to guess: ~80 bits estimated (80 characters, only 2 distinct: 80 × log2(2), assuming random characters)',
    );
    expect(() => parseConfig(withMqtt(`api:\n  token: ${STRONG}`), FILE)).not.toThrow();
    // An empty token (the example's ${METROGATE_API_TOKEN:-}) still means "no token", refused routes.
    expect(() => parseConfig(withMqtt('api:\n  token: ""'), FILE)).not.toThrow();
  });
});
