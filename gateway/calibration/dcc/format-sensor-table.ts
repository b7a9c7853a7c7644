/** `dcc show` for a sensor's certificate: the table as stated (Ω, mV, mA), the channel's characteristic, the fitted CVD. */
import type { CharacteristicConfig } from '../characteristic/characteristic-config.js';
import type { SensorTable } from './read-sensor-table.js';

export function describeCharacteristic(c: CharacteristicConfig): string {
  switch (c.type) {
    case 'cvd':
      return `Callendar–Van Dusen (IEC 60751): R0 ${c.R0} Ω, A ${c.A}, B ${c.B}, C ${c.C ?? 0}`;
    case 'thermocouple':
      return `type ${c.thermocouple} thermocouple (IEC 60584) in ${c.sensorUnit ?? 'mV'}, cold junction ${'channel' in c.coldJunction ? `channel ${c.coldJunction.channel}` : `${c.coldJunction.temperature} °C`}`;
    case 'linear':
      return `linear: ${c.sensor.min}…${c.sensor.max} ${c.sensorUnit} onto ${c.measurand.min}…${c.measurand.max}`;
    case 'table':
      return `table of ${c.points.length} points in ${c.sensorUnit}`;
  }
}

function columns(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `    ${cells.map((c, i) => c.padStart(widths[i]!)).join('  ')}`;
  return [line(header), ...rows.map(line)];
}

/** Significant digits enough to tell a fitted coefficient from the nominal one. */
const sig = (x: number, digits = 8) => Number(x.toPrecision(digits)).toString();

export function formatSensorTable(title: string, s: SensorTable, measurandUnit: string): string[] {
  const lines = [
    `  ${title} as stated: reference (${measurandUnit}) against indication (${s.unit}), ${s.points.length} points`,
    ...columns(
      ['reference', 'indication', 'U', 'k'],
      s.points.map((p) => [p.reference, p.indication, p.U, p.k].map((v) => (v === undefined ? '-' : String(v)))),
    ),
    `  characteristic: ${s.characteristic ? describeCharacteristic(s.characteristic) : "none given (import needs the channel's)"}`,
  ];
  if (s.fit) {
    const k = s.fit.coefficients;
    lines.push(
      `  fitted Callendar–Van Dusen (least squares): R0 ${sig(k.R0, 9)} Ω, A ${sig(k.A)}, B ${sig(k.B)}, C ${sig(k.C)}; largest residual ${sig(s.fit.maxResidualK * 1000, 3)} mK`,
      ...columns(
        ['reference', `residual Ω`, 'residual mK'],
        s.fit.residuals.map((r) => [String(r.t), sig(r.ohm, 3), sig(r.kelvin * 1000, 3)]),
      ),
    );
  } else if (s.fitProblem) {
    lines.push(`  no Callendar–Van Dusen fit: ${s.fitProblem}`);
  }
  return lines;
}
