import type { MetrogateConfig } from '../../config/schema.js';
import type { CalTag } from '../../gateway/reading.js';
import { dataTopic, gatewayStateTopic, statusTopic } from '../../gateway/sinks/mqtt/topics.js';

export interface InstrumentSummary {
  instrument: string;
  name: string;
  polled: number;
  published: number;
  written: number;
  notGood: number;
  cal: CalTag | undefined;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

/** The demo's closing report: the three counts that must match, and where to look. */
export function printSummary(
  config: MetrogateConfig,
  rows: InstrumentSummary[],
  where: { mqttUrl: string; influxUrl: string; seconds: number | undefined; gateway?: string },
): void {
  const prefix = config.mqtt?.topicPrefix ?? 'metrogate';
  const gw = where.gateway ?? config.gateway?.id ?? '<gateway>';
  const total = (k: 'polled' | 'published' | 'written' | 'notGood') => rows.reduce((n, r) => n + r[k], 0);
  const header = ['instrument', 'polled', 'published (MQTT)', 'written (InfluxDB)', 'not good', 'calibration', 'certificate', 'due'];
  const body = rows.map((r) => [
    r.instrument,
    String(r.polled),
    String(r.published),
    String(r.written),
    String(r.notGood),
    r.cal?.status ?? '-',
    r.cal?.certificate ?? '-',
    r.cal?.due ? `${r.cal.due} (${r.cal.daysToDue} d)` : '-',
  ]);
  body.push(['total', String(total('polled')), String(total('published')), String(total('written')), String(total('notGood')), '', '', '']);
  const ok = rows.every((r) => r.polled === r.published && r.published === r.written);
  const first = rows[0]?.instrument ?? '<instrument>';
  const db = config.influx?.database ?? 'metrogate';
  const measurement = config.influx?.measurement ?? 'reading';
  console.log(`
metrogate demo summary${where.seconds !== undefined ? ` (${where.seconds} s)` : ''}: site ${config.site}

${table([header, ...body])}

${ok ? 'OK: every polled reading was published to MQTT and written to InfluxDB.' : 'MISMATCH: polled, published and written differ (see the log above).'}

Where to look:
  MQTT broker      ${where.mqttUrl}
    data           ${dataTopic(prefix, config.site, gw, first)}   (one JSON batch per poll; schema gateway/schemas/reading-batch.schema.json)
    status         ${statusTopic(prefix, config.site, gw, first)} (retained)
    gateway state  ${gatewayStateTopic(prefix, config.site, gw)}  (retained, last will)
  InfluxDB         ${where.influxUrl}  database "${db}", measurement "${measurement}"
    sample query   SELECT mean("value"), max("u") FROM "${measurement}" WHERE "instrument" = '${first}' AND time > now() - 5m GROUP BY "channel", "cal_status", time(10s)`);
}
