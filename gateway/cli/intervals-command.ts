/**
 * `metrogate intervals`: the recalibration-interval suggestion per instrument from its
 * certificate history (the config's records and the records folder), with the method and the
 * evidence, for the person who sets the next due date. Nothing is changed.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/load-config.js';
import type { InstrumentConfig } from '../../config/schema.js';
import type { CalibrationRecord } from '../calibration/record.js';
import { recordFromConfig } from '../calibration/record-from-config.js';
import { loadRecords, recordsDirOf } from '../calibration/record-store.js';
import { intervalReports, type IntervalReport } from '../checks/interval-history.js';

export const INTERVALS_USAGE = `Usage:
  metrogate intervals --config FILE [--instrument ID] [--json]
      Suggest each instrument's next calibration interval from its certificates (ILAC-G24 /
      OIML D 10): the staircase method (as-found error against the MPE) and the control-chart
      method (fitted drift), each with its evidence. Never changes a due date.`;

function unitOf(inst: InstrumentConfig, channel: string | undefined): string {
  const ch = inst.channels.find((c) => c.id === channel) ?? inst.channels[0];
  return ch && 'unit' in ch && typeof ch.unit === 'string' ? ch.unit : '';
}

/** The records the gateway would load: each instrument's config block and the records folder. */
export function recordsOfConfig(file: string): { records: CalibrationRecord[]; instruments: string[] } {
  const config = loadConfig(file);
  const fromConfig = config.instruments.filter((i) => i.calibration).map((i) => recordFromConfig(i.id, unitOf(i, i.calibration!.channel), i.calibration!));
  const stored = loadRecords(recordsDirOf(config.calibration?.recordsDir, file));
  const seen = new Set(fromConfig.map((r) => `${r.instrument}/${r.channel ?? ''}/${r.certificate}`));
  return {
    records: [...fromConfig, ...stored.filter((r) => !seen.has(`${r.instrument}/${r.channel ?? ''}/${r.certificate}`))],
    instruments: config.instruments.map((i) => i.id),
  };
}

export function formatReport(r: IntervalReport): string {
  const lines = [
    `${r.instrument}${r.channel ? `/${r.channel}` : ''}: ${r.certificates} certificate(s), last ${r.lastCertificate} of ${r.lastCalibrated}, due ${r.due} (interval ${r.currentMonths} months)`,
  ];
  if (r.suggestions.length === 0) lines.push('  no suggestion: no certificate with an MPE or tolerance to judge its errors against');
  for (const s of r.suggestions) {
    lines.push(`  ${s.method}: ${s.months === null ? 'no suggestion' : `${s.months} months`}`);
    for (const e of s.evidence) lines.push(`    ${e}`);
  }
  for (const s of r.skipped) lines.push(`  not used: ${s}`);
  return lines.join('\n');
}

export async function runIntervalsCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { config: { type: 'string', short: 'c' }, instrument: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(INTERVALS_USAGE);
    return 0;
  }
  if (!values.config) {
    console.error(`metrogate intervals: --config FILE is needed\n\n${INTERVALS_USAGE}`);
    return 2;
  }
  const { records, instruments } = recordsOfConfig(values.config);
  if (values.instrument !== undefined && !instruments.includes(values.instrument)) {
    console.error(`metrogate intervals: no instrument "${values.instrument}" in ${values.config}`);
    return 2;
  }
  const reports = intervalReports(records.filter((r) => values.instrument === undefined || r.instrument === values.instrument));
  if (values.json) console.log(JSON.stringify(reports, null, 2));
  else console.log(reports.length === 0 ? 'no calibration records' : reports.map(formatReport).join('\n\n'));
  return 0;
}
