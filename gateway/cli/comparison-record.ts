/**
 * `metrogate comparison record` and `comparison send`: the participant's side of a comparison.
 * The result for one point is made from the readings this gateway stored for the artefact's
 * channel over the measuring window, written to a file (the laboratory's record) and sent to the
 * metrology platform as a typed message; the exit status says whether the platform confirmed it.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Ajv } from 'ajv';
import { loadConfig } from '../../config/load-config.js';
import type { MetrogateConfig } from '../../config/schema.js';
import { readChannelWindow } from '../checks/comparison-readings.js';
import { ComparisonResultSchema, NoResultError, resultFromReadings, type ComparisonResult } from '../checks/comparison-result.js';
import { gatewayIdOf } from '../gateway-id.js';
import { sendPlatformMessage } from '../sinks/cloud/platform-message.js';

export const RECORD_USAGE = `  metrogate comparison record --config FILE --comparison ID --artefact TEXT --instrument ID
                             --channel ID --nominal X --from TIME --to TIME [--lab NAME]
                             [--out DIR] [--no-send]
      Make this laboratory's result for one point from the readings stored in InfluxDB between
      --from and --to (ISO 8601): the mean of the good, traceable readings, U = 2·√(u_cal² + s²/n).
      Writes DIR/<comparison>_<lab>_<nominal>.json (default: the current folder) and sends it to
      the platform (cloud.url: retained MQTT message on <prefix>/<site>/<gateway>/comparison/<ID>/<nominal>,
      or POST <url>/comparison/<ID>/<nominal>). Exit 0 sent, 1 written but not sent (send it
      later with \`comparison send\`), 2 no result (too few traceable readings, bad options).
  metrogate comparison send --config FILE RESULT.json...
      Send recorded results to the platform again.`;

const validateResult = new Ajv({ allErrors: true }).compile<ComparisonResult>(ComparisonResultSchema);

export function readResultFile(file: string): ComparisonResult {
  const data: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!validateResult(data)) {
    const problems = (validateResult.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
    throw new Error(`${file}: not a comparison result:\n  ${problems.join('\n  ')}`);
  }
  return data;
}

function time(name: string, text: string | undefined): Date {
  const d = text === undefined ? new Date(NaN) : new Date(text);
  if (Number.isNaN(d.getTime())) throw new NoResultError(`--${name} needs an ISO 8601 time (e.g. 2026-12-05T09:00:00Z), got ${text ?? 'nothing'}`);
  return d;
}

/** A nominal value as a topic level and file name part: no `/`, `+`, `#`, spaces. */
export function pointKey(nominal: number): string {
  return String(nominal).replace(/[^0-9eE.+-]/g, '_');
}

async function send(config: MetrogateConfig, result: ComparisonResult): Promise<boolean> {
  if (!config.cloud?.enabled) {
    console.error('not sent: cloud.enabled is false in the config (send it later with `metrogate comparison send`)');
    return false;
  }
  try {
    const where = await sendPlatformMessage(
      config.cloud,
      { site: result.site, gateway: result.gateway },
      {
        path: ['comparison', result.comparison, pointKey(result.nominal)],
        json: JSON.stringify(result),
      },
    );
    console.log(`sent: ${where}`);
    return true;
  } catch (err) {
    console.error(`not sent: ${(err as Error).message}`);
    return false;
  }
}

const RECORD_OPTIONS = {
  config: { type: 'string', short: 'c' },
  comparison: { type: 'string' },
  artefact: { type: 'string' },
  instrument: { type: 'string' },
  channel: { type: 'string' },
  nominal: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  lab: { type: 'string' },
  out: { type: 'string' },
  'no-send': { type: 'boolean' },
} as const;

export async function runComparisonRecord(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: RECORD_OPTIONS });
  const missing = (['config', 'comparison', 'artefact', 'instrument', 'channel', 'nominal', 'from', 'to'] as const).filter((k) => values[k] === undefined);
  if (missing.length > 0) throw new NoResultError(`comparison record needs ${missing.map((k) => `--${k}`).join(', ')}`);
  const config = loadConfig(values.config!);
  if (!config.influx) throw new NoResultError(`${values.config}: comparison record reads the stored readings: the config needs an influx section`);
  const nominal = Number(values.nominal);
  if (!Number.isFinite(nominal)) throw new NoResultError(`--nominal needs a number, got ${values.nominal}`);
  const from = time('from', values.from);
  const to = time('to', values.to);
  const lab = values.lab ?? config.site;
  const stored = await readChannelWindow(config.influx, { site: config.site, instrument: values.instrument!, channel: values.channel!, from, to });
  if (stored.units.length > 1)
    throw new NoResultError(`${values.instrument}/${values.channel}: readings in ${stored.units.join(' and ')} in the window; choose a window with one unit`);
  const result = resultFromReadings(
    {
      comparison: values.comparison!,
      artefact: values.artefact!,
      lab,
      site: config.site,
      gateway: gatewayIdOf(config),
      instrument: values.instrument!,
      channel: values.channel!,
      quantity: stored.quantity ?? '',
      unit: stored.unit ?? '',
      nominal,
      from,
      to,
    },
    stored.readings,
  );
  if (!validateResult(result)) throw new NoResultError(`the result does not match its schema: ${JSON.stringify(validateResult.errors)}`);
  const dir = resolve(values.out ?? '.');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${result.comparison}_${lab.replace(/[^A-Za-z0-9_.-]/g, '_')}_${pointKey(nominal)}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  const { excluded } = result;
  console.log(
    `${result.comparison} at ${nominal} ${result.unit}: ${result.value} ± ${result.U} ${result.unit} (k = ${result.k}, n = ${result.n}, s = ${result.s}; ` +
      `left out ${excluded.notGood} not good, ${excluded.notTraceable} not traceable) → ${file}`,
  );
  if (values['no-send']) return 0;
  return (await send(config, result)) ? 0 : 1;
}

export async function runComparisonSend(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } }, allowPositionals: true });
  if (!values.config || positionals.length === 0) throw new NoResultError('comparison send needs --config FILE and at least one RESULT.json');
  const config = loadConfig(values.config);
  const results = positionals.map(readResultFile);
  let sent = 0;
  for (const r of results) if (await send(config, r)) sent++;
  return sent === results.length ? 0 : 1;
}
