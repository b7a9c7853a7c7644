import type { InstrumentConfig } from '../../../config/schema.js';
import type { Quality, ReadingValue } from '../../reading.js';
import type { CharacteristicConfig } from '../../calibration/characteristic/characteristic-config.js';
import { buildCharacteristic } from '../../calibration/characteristic/characteristic.js';
import { DataType, type DataTypeCode, type ScalarValue } from './sparkplug-payload.js';

/** A device (instrument) metric: the channel's value, its uncertainty, or a status. */
export interface MetricDef {
  name: string;
  alias: number;
  datatype: DataTypeCode;
  unit?: string;
  quantity?: string;
  /** The sensor's unit when the channel has a characteristic: what the `raw` property is in. */
  rawUnit?: string;
}

export const NODE_REBIRTH = 'Node Control/Rebirth';
export const NODE_REBIRTH_ALIAS = 1;

/** Device metrics besides the channels, carried in DBIRTH and, on change, in DDATA. */
export const STATUS_METRICS = [
  { name: 'Calibration/status', datatype: DataType.String },
  { name: 'Calibration/certificate', datatype: DataType.String },
  { name: 'Calibration/due', datatype: DataType.String },
  { name: 'Calibration/daysToDue', datatype: DataType.Int32 },
  { name: 'Calibration/traceable', datatype: DataType.Boolean },
  { name: 'Status/online', datatype: DataType.Boolean },
  { name: 'Readings/lastSeq', datatype: DataType.Int64 },
] as const;

/** OPC quality codes, as Ignition reads the `Quality` property. */
export const QUALITY_CODE: Record<Quality, number> = { good: 192, uncertain: 64, bad: 0 };

function channelType(ch: object): DataTypeCode {
  // Modbus channels declare a register type; others (OPC UA) carry numbers unless told otherwise.
  const t = 'type' in ch && typeof ch.type === 'string' ? ch.type : '';
  if (t === 'bool') return DataType.Boolean;
  if (t.startsWith('string')) return DataType.String;
  return DataType.Double;
}

/** The unit the channel's sensor is read in, from the characteristic itself (it knows the defaults). */
function sensorUnit(ch: object): string | undefined {
  if (!('characteristic' in ch) || ch.characteristic === undefined) return undefined;
  return buildCharacteristic(ch.characteristic as CharacteristicConfig).sensorUnit;
}

/** The value as the declared type carries it; null when it cannot (a string on a number metric). */
export function asMetricValue(datatype: DataTypeCode, v: ReadingValue): ScalarValue {
  if (v === null) return null;
  if (datatype === DataType.Double) return typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : null;
  if (datatype === DataType.Boolean) return typeof v === 'boolean' ? v : typeof v === 'number' ? v !== 0 : null;
  return String(v);
}

/**
 * Every metric of the edge node with a fixed alias: derived from the config in its order, so the
 * aliases stay the same across sessions and restarts of an unchanged config. Alias 1 is the
 * node's rebirth command; device metrics follow, instrument by instrument.
 */
export class MetricTable {
  private readonly byDevice = new Map<string, Map<string, MetricDef>>();

  constructor(instruments: readonly InstrumentConfig[]) {
    let alias = NODE_REBIRTH_ALIAS + 1;
    for (const inst of instruments) {
      const defs = new Map<string, MetricDef>();
      for (const ch of inst.channels) {
        const rawUnit = sensorUnit(ch);
        defs.set(ch.id, { name: ch.id, alias: alias++, datatype: channelType(ch), unit: ch.unit, quantity: ch.quantity, ...(rawUnit ? { rawUnit } : {}) });
        defs.set(`${ch.id}/u`, {
          name: `${ch.id}/u`,
          alias: alias++,
          datatype: DataType.Double,
          unit: ch.unit,
          quantity: `standard uncertainty of ${ch.quantity}`,
        });
      }
      for (const s of STATUS_METRICS) defs.set(s.name, { name: s.name, alias: alias++, datatype: s.datatype });
      this.byDevice.set(inst.id, defs);
    }
  }

  devices(): string[] {
    return [...this.byDevice.keys()];
  }

  metrics(device: string): MetricDef[] {
    return [...(this.byDevice.get(device)?.values() ?? [])];
  }

  get(device: string, name: string): MetricDef | undefined {
    return this.byDevice.get(device)?.get(name);
  }
}
