/**
 * Every sink is optional: one box without a broker (influx.sink, no mqtt) is a valid config, and
 * a config whose readings could go nowhere, or whose ingest role has no broker, is refused with
 * the path and what to add.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../config/load-config.js';
import { startCli } from '../support/cli.js';
import { BASE, edit, FILE, lineOf, messages } from './config-fixtures.js';

const ONE_BOX = new URL('../../config/examples/one-box.yaml', import.meta.url).pathname;
const NO_MQTT = edit(BASE, 'mqtt:\n  url: mqtt://localhost:1883\n', '');

describe('sinks in the config', () => {
  it('loads the one-box example: InfluxDB directly, no mqtt section', () => {
    const config = loadConfig(ONE_BOX, {});
    expect(config.mqtt).toBeUndefined();
    expect(config.influx?.sink?.enabled).toBe(true);
    expect(config.instruments.map((i) => i.id)).toEqual(['bath-01']);
  });

  it('takes any one sink without mqtt: influx.sink or the cloud uplink', () => {
    const influx = `${NO_MQTT}influx:\n  url: http://127.0.0.1:8086\n  sink:\n    enabled: true\n`;
    expect(parseConfig(influx, FILE, {}).mqtt).toBeUndefined();
    const cloud = `${NO_MQTT}cloud:\n  enabled: true\n  url: https://cloud.example/ingest\n  token: a-token-of-twenty-chars\n`;
    expect(parseConfig(cloud, FILE, {}).cloud?.enabled).toBe(true);
  });

  it('refuses a config with nowhere to send readings, naming the three choices', () => {
    expect(messages(NO_MQTT)).toEqual([
      `${FILE}: instruments: 2 instrument(s) but nowhere to send readings: configure at least one of ` +
        `\`mqtt\` (the edge broker), \`influx.sink.enabled: true\` (InfluxDB directly) or \`cloud.enabled: true\` (line ${lineOf(NO_MQTT, 'instruments:')})`,
    ]);
    // An influx section without its sink turned on stores nothing by itself.
    expect(messages(`${NO_MQTT}influx:\n  url: http://127.0.0.1:8086\n`)[0]).toContain('nowhere to send readings');
    // Without instruments too: a gateway that can send nothing anywhere is a mistake, not a mode.
    expect(messages('site: s\n')).toEqual([
      `${FILE}: nowhere to send readings: configure at least one of \`mqtt\` (the edge broker), \`influx.sink.enabled: true\` (InfluxDB directly) or \`cloud.enabled: true\` (line 1)`,
    ]);
  });

  it('refuses calibration events asked of the Sparkplug uplink, which cannot carry them, naming the formats that do', () => {
    const sparkplug = `${BASE}cloud:\n  enabled: true\n  url: mqtts://cloud.example:8883\n  format: sparkplug\n`;
    expect(messages(`${sparkplug}  events: true\n`)).toEqual([
      `${FILE}: cloud.events: Sparkplug B carries no calibration events (its Calibration/* metrics give each instrument its current state); ` +
        `use format json or an https:// url to receive them, or leave events out (line ${lineOf(`${sparkplug}  events: true\n`, 'events: true')})`,
    ]);
    expect(parseConfig(sparkplug, FILE, {}).cloud?.events).toBeUndefined();
    expect(parseConfig(`${sparkplug}  events: false\n`, FILE, {}).cloud?.events).toBe(false);
    const https = `${BASE}cloud:\n  enabled: true\n  url: https://cloud.example/ingest\n  token: a-token-of-twenty-chars\n  events: false\n`;
    expect(parseConfig(https, FILE, {}).cloud?.events).toBe(false);
  });

  it('refuses the ingest role without a broker to take the readings from', () => {
    const text = `${NO_MQTT}influx:\n  url: http://127.0.0.1:8086\n  sink:\n    enabled: true\ningest:\n  enabled: true\n`;
    expect(messages(text)).toEqual([
      `${FILE}: ingest.enabled: the ingest role takes the readings from the edge broker: add an \`mqtt\` section, or set ingest.enabled: false (line ${text.trimEnd().split('\n').length})`,
    ]);
  });

  it('metrogate run --ingest on the one-box config (no mqtt) stops before starting anything, exit 2', async () => {
    const result = await startCli(['run', '--config', ONE_BOX, '--ingest']).done;
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(`${ONE_BOX}: --ingest: the ingest role takes the readings from the edge broker, and this config has no \`mqtt\` section`);
  });
});
