/**
 * A config skeleton from a scan: one instrument per answering unit, one uint16 (or bool) channel
 * per readable address, capped per instrument. It validates as it stands; a person then gives
 * each channel its real type, scale, quantity and unit, and deletes what is not needed.
 */
import type { Parity, RegisterFunction } from '../config.js';
import { describe, type UnitFound } from './scan-units.js';

export type ScanTarget =
  | { kind: 'serial'; path: string; baudRate: number; parity: Parity; dataBits: 7 | 8; stopBits: 1 | 2 }
  | { kind: 'rtu-tcp'; host: string; port: number }
  | { kind: 'tcp'; host: string; port: number };

export function targetName(t: ScanTarget): string {
  if (t.kind === 'serial') return `${t.path} (${t.baudRate} baud, ${t.dataBits}${t.parity[0]!.toUpperCase()}${t.stopBits})`;
  return `${t.kind === 'tcp' ? 'Modbus TCP' : 'RTU over TCP'} ${t.host}:${t.port}`;
}

const SHORT: Readonly<Record<RegisterFunction, string>> = { holding: 'hr', input: 'ir', coil: 'co', discrete: 'di' };

function connection(t: ScanTarget, unitId: number): string[] {
  if (t.kind === 'serial') {
    return [
      '    protocol: modbus-rtu',
      `    line: { port: ${JSON.stringify(t.path)}, baudRate: ${t.baudRate}, parity: ${t.parity}, dataBits: ${t.dataBits}, stopBits: ${t.stopBits} }`,
      `    unitId: ${unitId}`,
    ];
  }
  if (t.kind === 'rtu-tcp') {
    return ['    protocol: modbus-rtu-tcp', `    line: { host: ${JSON.stringify(t.host)}, port: ${t.port} }`, `    unitId: ${unitId}`];
  }
  return ['    protocol: modbus-tcp', `    connection: { host: ${JSON.stringify(t.host)}, port: ${t.port}, unitId: ${unitId} }`];
}

export function renderSkeleton(target: ScanTarget, units: readonly UnitFound[], maxChannels: number, when = new Date()): string {
  const out = [
    `# metrogate scan of ${targetName(target)}, ${when.toISOString()}: ${units.length} unit(s) answered.`,
    '# A skeleton: the scan knows which addresses are readable, not what they hold. Give each channel',
    '# its real type (e.g. float32 over two registers), order, scale, quantity and unit; delete the rest.',
    'site: scanned-site',
    'mqtt:',
    '  url: mqtt://localhost:1883',
    'instruments:',
  ];
  if (units.length === 0) out[out.length - 1] = 'instruments: []';
  for (const unit of units) {
    const tables = Object.entries(unit.tables) as [RegisterFunction, Array<[number, number]>][];
    out.push(`  - id: unit-${unit.unitId}`, ...connection(target, unit.unitId));
    for (const note of unit.notes) out.push(`    # ${note}`);
    let left = maxChannels;
    const channels: string[] = [];
    for (const [fn, ranges] of tables) {
      channels.push(`      # ${fn}: ${describe(ranges)}`);
      for (const [start, end] of ranges) {
        const take = Math.max(0, Math.min(end - start, left));
        left -= take;
        const type = fn === 'coil' || fn === 'discrete' ? 'bool' : 'uint16';
        for (let a = start; a < start + take; a++) {
          channels.push(`      - { id: ${SHORT[fn]}-${a}, function: ${fn}, address: ${a}, type: ${type}, quantity: unknown }`);
        }
        if (take < end - start) channels.push(`      # … ${end - start - take} more from address ${start + take} (over --max-channels ${maxChannels})`);
      }
    }
    if (channels.some((c) => c.startsWith('      - '))) out.push('    channels:', ...channels);
    else {
      // A unit that answers but lets nothing be read still gets a valid entry to edit.
      out.push(
        '    channels:',
        '      # nothing readable found: fill in the channels by hand',
        '      - { id: ch-0, function: holding, address: 0, type: uint16, quantity: unknown }',
      );
    }
  }
  return `${out.join('\n')}\n`;
}
