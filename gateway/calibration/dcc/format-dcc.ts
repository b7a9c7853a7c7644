/** What `metrogate dcc show` prints: a certificate as the importer understood it, in the channel's unit. */
import { judgeTable, describeMpe } from '../decision.js';
import type { ErrorTablePoint } from '../record.js';
import type { ParsedDcc } from './parse-dcc.js';
import type { DccTable } from './read-tables.js';
import { addToDate, parsePeriod } from './to-record.js';
import { formatSensorTable } from './format-sensor-table.js';

function table(title: string, t: DccTable, unit: string): string[] {
  const limits = (p: ErrorTablePoint) =>
    p.acceptance ? `accept ${p.acceptance.lower}..${p.acceptance.upper}` : p.tolerance ? `${p.tolerance.lower}..${p.tolerance.upper}` : undefined;
  // The limits column only when the certificate gives per-point limits.
  const withLimits = t.points.some((p) => limits(p) !== undefined);
  const header = ['reference', 'indication', 'error', 'U', 'k', ...(withLimits ? ['limits'] : [])];
  const rows = t.points.map((p: ErrorTablePoint) =>
    [p.reference, p.indication, p.error, p.U, p.k, ...(withLimits ? [limits(p)] : [])].map((v) => (v === undefined ? '-' : String(v))),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `    ${cells.map((c, i) => c.padStart(widths[i]!)).join('  ')}`;
  const notes = [t.conformity && `conformity ${t.conformity}`, t.uncertaintyOn === 'indication' && 'U given on the indication'].filter(Boolean);
  return [
    `  ${title} (${unit}, ${t.points.length} points${notes.length ? `, ${notes.join(', ')}` : ''})`,
    `    from ${t.path}`,
    line(header),
    ...rows.map(line),
  ];
}

function due(dcc: ParsedDcc): string {
  const r = dcc.recalibration;
  if (r?.date) return `${r.date} (recalibration date)`;
  if (r?.period) {
    try {
      const { months, days } = parsePeriod(r.period);
      return `${addToDate(dcc.performance.end, months, days)} (recalibration period ${r.period})`;
    } catch (err) {
      return (err as Error).message;
    }
  }
  return 'not stated (import needs --due or --interval-months)';
}

/** The verdicts the gateway will draw (simple acceptance unless the record is given another rule). */
function verdicts(dcc: ParsedDcc): string[] {
  const rule = { ...(dcc.mpe !== undefined && { mpe: dcc.mpe }) };
  const asLeft = judgeTable('as-left', dcc.asLeft.points, dcc.conformity, rule);
  const out = [`  verdict as left: ${asLeft.result} (${asLeft.rule})${asLeft.result === 'fail' ? ' → out_of_tolerance' : ''}`];
  if (dcc.asFound) {
    const asFound = judgeTable('as-found', dcc.asFound.points, dcc.asFoundConformity, rule);
    out.push(
      `  verdict as found: ${asFound.result} (${asFound.rule})${asFound.result === 'fail' ? ' → readings since the last good calibration are suspect' : ''}`,
    );
  }
  return out;
}

export function formatDcc(dcc: ParsedDcc, file: string): string {
  const u = dcc.unit;
  const items = dcc.items.map((item) => {
    const what = [item.name, item.manufacturer, item.model && `model ${item.model}`].filter(Boolean).join(', ');
    const ids = item.identifications.map((id) => `${id.name ?? 'id'} ${id.value} (${id.issuer})`).join('; ');
    return `  item: ${what}${ids ? ` (${ids})` : ''}`;
  });
  const lines = [
    `${file}`,
    `  certificate: ${dcc.certificate}${dcc.schemaVersion ? ` (DCC schema ${dcc.schemaVersion})` : ''}`,
    `  laboratory: ${dcc.laboratory ?? '-'}`,
    `  customer: ${dcc.customer ?? '-'}`,
    ...items,
    `  calibrated: ${dcc.performance.end}${dcc.performance.begin && dcc.performance.begin !== dcc.performance.end ? ` (performed ${dcc.performance.begin} to ${dcc.performance.end})` : ''}`,
    `  issued: ${dcc.issued ?? '-'}`,
    `  due: ${due(dcc)}`,
    `  validity range: ${dcc.range ? `${dcc.range.min} to ${dcc.range.max} ${u}` : '-'}`,
    `  conformity as left: ${dcc.conformity}${dcc.asFound ? `, as found: ${dcc.asFoundConformity ?? 'not_stated'}` : ''}${dcc.mpe !== undefined ? ` (tolerance ${describeMpe(dcc.mpe)} ${u})` : ''}`,
    ...verdicts(dcc),
    `  resolution: ${dcc.resolution !== undefined ? `${dcc.resolution} ${u}` : '-'}`,
    `  traceability: ${dcc.traceability.length === 0 ? '-' : ''}`,
    ...dcc.traceability.map((t) => `    ${t.standard}, certificate ${t.certificate || 'not stated'}`),
    ...(dcc.asLeft.sensor ? formatSensorTable(dcc.asFound ? 'as-left sensor table' : 'sensor table', dcc.asLeft.sensor, u) : []),
    ...(dcc.asLeft.points.length > 0 ? table(dcc.asFound ? 'as-left error table (after adjustment)' : 'error table', dcc.asLeft, u) : []),
    ...(dcc.asFound?.sensor ? formatSensorTable('as-found sensor table', dcc.asFound.sensor, u) : []),
    ...(dcc.asFound && dcc.asFound.points.length > 0 ? table('as-found error table (before adjustment)', dcc.asFound, u) : []),
    ...(dcc.warnings.length ? ['  warnings:', ...dcc.warnings.map((w) => `    ${w}`)] : []),
  ];
  return lines.join('\n');
}
