/**
 * One simulated instrument: an object under Objects with a variable per profile point and a
 * Calibration object. Its state (values, pinned values, status codes) lives here, not in the
 * address space, so it survives a server restart.
 */
import './quiet-node-opcua.js';
import { DataType, makeEUInformation, StatusCodes, type Namespace, type StatusCode, type UAObject, type UAVariable } from 'node-opcua';
import { nodeIdOf, type Profile, type SimDataType, type SimPoint, type SimSignal } from './profiles.js';

export type SimValue = number | boolean | string;

export interface SimCalibration {
  /** YYYY-MM-DD; stored on the device as UTC midnight. */
  last: string;
  next: string;
  certificate?: string;
}

interface PointState {
  point: SimPoint;
  value: SimValue;
  /** Name of the StatusCode served with the value, e.g. `Good`, `BadSensorFailure`. */
  status: string;
  pinned: boolean;
  variable: UAVariable | null;
}

const DATA_TYPES: Record<SimDataType, DataType> = {
  Double: DataType.Double,
  Float: DataType.Float,
  Int32: DataType.Int32,
  UInt16: DataType.UInt16,
  Boolean: DataType.Boolean,
  String: DataType.String,
};

export class SimInstrument {
  /** Value changes made (by the signal or by set/setStatus): what subscribers are offered. */
  changes = 0;
  private readonly points = new Map<string, PointState>();
  private calibration: SimCalibration | undefined;
  private calibrationVars: UAVariable[] = [];

  constructor(
    readonly id: string,
    readonly profile: Profile,
    /** No noise or drift: every point serves its mean until set. */
    private readonly isStatic: boolean,
    calibration?: SimCalibration,
  ) {
    for (const point of profile.points) {
      this.points.set(point.channel, { point, value: initial(point), status: 'Good', pinned: false, variable: null });
    }
    this.calibration = calibration;
  }

  nodeId(channel: string): string {
    this.state(channel);
    return nodeIdOf(this.id, channel);
  }

  /** The value served now, as a client decodes it (Float values at float32 precision). */
  value(channel: string): SimValue {
    return this.state(channel).value;
  }

  /** Serves exactly `value` (pinned: the signal no longer moves it) with status Good. */
  set(channel: string, value: SimValue): void {
    const s = this.state(channel);
    s.value = coerce(s.point.dataType, value);
    s.status = 'Good';
    s.pinned = true;
    this.publish(s);
  }

  /** Serves the current value with this StatusCode (e.g. `BadSensorFailure`, `UncertainLastUsableValue`). */
  setStatus(channel: string, status: string): void {
    if (!(status in StatusCodes)) throw new Error(`unknown OPC UA status code ${status}`);
    const s = this.state(channel);
    s.status = status;
    s.pinned = true;
    this.publish(s);
  }

  /** Back to the signal, status Good. */
  release(channel: string): void {
    const s = this.state(channel);
    s.pinned = false;
    s.status = 'Good';
  }

  setCalibration(calibration: SimCalibration): void {
    this.calibration = calibration;
    const [last, next, cert] = this.calibrationVars;
    last?.setValueFromSource({ dataType: DataType.DateTime, value: utcMidnight(calibration.last) });
    next?.setValueFromSource({ dataType: DataType.DateTime, value: utcMidnight(calibration.next) });
    cert?.setValueFromSource({ dataType: DataType.String, value: calibration.certificate ?? '' });
  }

  /** Builds the instrument's nodes in `ns` (called at every server start). */
  mount(ns: Namespace, objects: UAObject): void {
    const obj = ns.addObject({ organizedBy: objects, browseName: this.id, nodeId: `s=${this.id}` });
    for (const s of this.points.values()) {
      const p = s.point;
      const common = {
        componentOf: obj,
        browseName: p.channel,
        nodeId: `s=${this.id}.${p.channel}`,
        dataType: p.dataType,
        minimumSamplingInterval: 10,
        value: { dataType: DATA_TYPES[p.dataType], value: s.value },
      };
      s.variable = p.range
        ? ns.addAnalogDataItem({
            ...common,
            engineeringUnitsRange: p.range,
            ...(p.uneceCode ? { engineeringUnits: makeEUInformation(p.uneceCode, p.unit, p.unit) } : {}),
          })
        : ns.addVariable(common);
      this.publish(s);
    }
    if (this.calibration) this.mountCalibration(ns, obj, this.calibration);
  }

  unmount(): void {
    for (const s of this.points.values()) s.variable = null;
    this.calibrationVars = [];
  }

  /** Moves every unpinned numeric point along its signal. */
  tick(now: number): void {
    if (this.isStatic) return;
    for (const s of this.points.values()) {
      if (s.pinned || typeof s.point.value !== 'object') continue;
      s.value = coerce(s.point.dataType, signal(s.point.value, now));
      this.publish(s);
    }
  }

  private mountCalibration(ns: Namespace, parent: UAObject, cal: SimCalibration): void {
    const obj = ns.addObject({ componentOf: parent, browseName: 'Calibration', nodeId: `s=${this.id}.Calibration` });
    const add = (name: string, dataType: 'DateTime' | 'String', value: Date | string) =>
      ns.addVariable({
        componentOf: obj,
        browseName: name,
        nodeId: `s=${this.id}.Calibration.${name}`,
        dataType,
        value: { dataType: dataType === 'DateTime' ? DataType.DateTime : DataType.String, value },
      });
    this.calibrationVars = [
      add('LastCalibrationDate', 'DateTime', utcMidnight(cal.last)),
      add('NextCalibrationDate', 'DateTime', utcMidnight(cal.next)),
      add('CertificateNumber', 'String', cal.certificate ?? ''),
    ];
  }

  private publish(s: PointState): void {
    this.changes++;
    s.variable?.setValueFromSource({ dataType: DATA_TYPES[s.point.dataType], value: s.value }, statusCode(s.status), new Date());
  }

  private state(channel: string): PointState {
    const s = this.points.get(channel);
    if (!s) throw new Error(`instrument ${this.id} has no channel ${channel} (has ${[...this.points.keys()].join(', ')})`);
    return s;
  }
}

function statusCode(name: string): StatusCode {
  return (StatusCodes as unknown as Record<string, StatusCode>)[name]!;
}

function initial(p: SimPoint): SimValue {
  return typeof p.value === 'object' ? coerce(p.dataType, p.value.mean) : p.value;
}

function coerce(type: SimDataType, v: SimValue): SimValue {
  if (type === 'Boolean') return Boolean(v);
  if (type === 'String') return String(v);
  const n = Number(v);
  if (type === 'Float') return Math.fround(n);
  if (type === 'Int32' || type === 'UInt16') return Math.round(n);
  return n;
}

function signal(s: SimSignal, now: number): number {
  let v = s.mean;
  if (s.drift) v += s.drift.amplitude * Math.sin((2 * Math.PI * now) / s.drift.periodMs);
  if (s.noise) v += s.noise * gaussian();
  return v;
}

function gaussian(): number {
  const u = 1 - Math.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * Math.random());
}

function utcMidnight(date: string): Date {
  return new Date(`${date}T00:00:00Z`);
}
