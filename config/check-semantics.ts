/**
 * Checks a schema cannot express: unique ids, real dates in order, one way to give the due date,
 * a register type that fits its table, a quantity from the contract's vocabulary in a unit of it. Overlapping registers and instruments sharing a device
 * (host, port, unit id) are legal and not checked.
 */
import { parseRegisterType } from '../drivers/modbus/register-type.js';
import { checkCloudConfig } from '../gateway/sinks/cloud/cloud-config.js';
import { checkRtuLines, isRtu } from '../drivers/modbus/rtu-lines.js';
import { recordFromConfig } from '../gateway/calibration/record-from-config.js';
import { validateRecord } from '../gateway/calibration/validate-record.js';
import { quantityProblem } from '../gateway/contract/quantities.js';
import { checkCharacteristics } from '../gateway/calibration/characteristic/check-characteristics.js';
import { checkConnections } from './check-connections.js';
import { checkApiConfig } from '../gateway/api/check-api-config.js';
import type { CalibrationConfig, InstrumentConfig, MetrogateConfig, ModbusTcpInstrumentConfig } from './schema.js';

export type PathSegment = string | number;

export interface PathProblem {
  /** `['instruments', 3, 'channels', 2, 'type']`; load-config formats it and finds the line. */
  at: PathSegment[];
  message: string;
  /** Where to look for the line when it differs from `at` (an unknown key under `at`). */
  lineAt?: PathSegment[];
}

/** Modbus addresses are 16-bit: a value must end at or before address 65535. */
const ADDRESS_SPACE = 65536;

/**
 * Also completes the config: a calibration given by `intervalMonths` gets its computed `due`,
 * so the rest of the gateway reads only `due`.
 */
export function checkSemantics(config: MetrogateConfig): PathProblem[] {
  return [...checkInstruments(config.instruments), ...checkSections(config)];
}

/** Checks of whole sections, run once the schema accepted the file. */
export function checkSections(config: MetrogateConfig): PathProblem[] {
  const problems: PathProblem[] = [...checkConnections(config)];
  if (config.api) for (const p of checkApiConfig(config.api)) problems.push({ at: ['api', ...p.at], message: p.message });
  if (config.cloud) for (const p of checkCloudConfig(config.cloud)) problems.push({ at: ['cloud', ...p.at], message: p.message });
  problems.push(...checkSinks(config));
  return problems;
}

/**
 * Every sink is optional (one box without a broker writes InfluxDB itself), but polled readings
 * need somewhere to go, or the spool only grows; and the ingest role reads from the broker.
 */
function checkSinks(config: MetrogateConfig): PathProblem[] {
  const problems: PathProblem[] = [];
  const sinks = config.mqtt !== undefined || config.cloud?.enabled === true || config.influx?.sink?.enabled === true;
  if (!sinks) {
    const n = config.instruments.length;
    problems.push({
      at: n > 0 ? ['instruments'] : [],
      message: `${n > 0 ? `${n} instrument(s) but nowhere` : 'nowhere'} to send readings: configure at least one of ` +
        '`mqtt` (the edge broker), `influx.sink.enabled: true` (InfluxDB directly) or `cloud.enabled: true`',
    });
  }
  if (config.ingest?.enabled === true && config.mqtt === undefined) {
    problems.push({ at: ['ingest', 'enabled'], message: 'the ingest role takes the readings from the edge broker: add an `mqtt` section, or set ingest.enabled: false' });
  }
  return problems;
}

/** `undefined` entries (instruments that failed the schema) keep their index but are skipped. */
export function checkInstruments(instruments: readonly (InstrumentConfig | undefined)[]): PathProblem[] {
  const problems: PathProblem[] = [];
  const firstIndex = new Map<string, number>();
  instruments.forEach((inst, i) => {
    if (!inst) return;
    const first = firstIndex.get(inst.id);
    if (first === undefined) firstIndex.set(inst.id, i);
    else problems.push({ at: ['instruments', i, 'id'], message: `duplicate instrument id "${inst.id}" (first used by instruments[${first}])` });
    if (inst.protocol === 'modbus-tcp' || isRtu(inst)) problems.push(...checkModbusChannels(inst, ['instruments', i]));
    else problems.push(...checkChannelIds(inst.channels, ['instruments', i]));
    problems.push(...checkQuantities(inst.channels, ['instruments', i]));
    problems.push(...checkCharacteristics(inst.channels, ['instruments', i]));
    if (inst.calibration) {
      const at = ['instruments', i, 'calibration'];
      const dates = checkCalibration(inst.calibration, at);
      problems.push(...dates);
      if (dates.length === 0) problems.push(...checkCalibrationRecord(inst, at));
    }
    problems.push(...checkBudgets(inst, ['instruments', i, 'uncertaintyBudget']));
  });
  // Instruments sharing a serial line (or RTU-over-TCP converter port) must agree on its settings.
  problems.push(...checkRtuLines(instruments));
  return problems;
}

/** Each channel's quantity from the contract's vocabulary, and a unit that measures it. */
function checkQuantities(channels: readonly { quantity: string; unit?: string }[], at: PathSegment[]): PathProblem[] {
  const problems: PathProblem[] = [];
  channels.forEach((ch, j) => {
    const problem = quantityProblem(ch.quantity, ch.unit ?? '');
    if (problem) problems.push({ at: [...at, 'channels', j, problem.field], message: problem.message });
  });
  return problems;
}

function checkChannelIds(channels: readonly { id: string }[], at: PathSegment[]): PathProblem[] {
  const problems: PathProblem[] = [];
  const firstIndex = new Map<string, number>();
  channels.forEach((ch, j) => {
    const first = firstIndex.get(ch.id);
    if (first === undefined) firstIndex.set(ch.id, j);
    else problems.push({ at: [...at, 'channels', j, 'id'], message: `duplicate channel id "${ch.id}" in this instrument (first used by channels[${first}])` });
  });
  return problems;
}

function checkModbusChannels(inst: Pick<ModbusTcpInstrumentConfig, 'channels' | 'maxRegistersPerRead'>, at: PathSegment[]): PathProblem[] {
  const problems: PathProblem[] = [];
  const firstIndex = new Map<string, number>();
  inst.channels.forEach((ch, j) => {
    const chAt = [...at, 'channels', j];
    const first = firstIndex.get(ch.id);
    if (first === undefined) firstIndex.set(ch.id, j);
    else problems.push({ at: [...chAt, 'id'], message: `duplicate channel id "${ch.id}" in this instrument (first used by channels[${first}])` });
    let registers: number;
    try {
      registers = parseRegisterType(ch.type, ch.function).registers;
    } catch (err) {
      problems.push({ at: [...chAt, 'type'], message: err instanceof Error ? err.message : String(err) });
      return;
    }
    // One value is read in one request: the planner cannot split it across a smaller cap.
    const bits = ch.function === 'coil' || ch.function === 'discrete';
    if (!bits && registers > inst.maxRegistersPerRead) {
      problems.push({
        at: [...chAt, 'type'],
        message: `${ch.type} spans ${registers} registers, more than maxRegistersPerRead (${inst.maxRegistersPerRead}) lets one read take: raise maxRegistersPerRead or use a shorter type`,
      });
    }
    const end = ch.address + registers - 1;
    if (end >= ADDRESS_SPACE) {
      problems.push({
        at: [...chAt, 'address'],
        message: `${ch.type} at ${ch.address} spans registers ${ch.address} to ${end}, past the last address ${ADDRESS_SPACE - 1}`,
      });
    }
  });
  return problems;
}

function checkCalibration(cal: CalibrationConfig, at: PathSegment[]): PathProblem[] {
  const problems: PathProblem[] = [];
  const calibrated = realDate(cal.calibrated);
  if (!calibrated) problems.push({ at: [...at, 'calibrated'], message: `${cal.calibrated} is not a real date` });
  const hasDue = cal.due !== undefined;
  const hasInterval = cal.intervalMonths !== undefined;
  if (hasDue && hasInterval) {
    problems.push({ at, message: 'set either due or intervalMonths, not both' });
  } else if (!hasDue && !hasInterval) {
    problems.push({ at, message: 'missing due date: set due (YYYY-MM-DD) or intervalMonths' });
  } else if (cal.due !== undefined) {
    const due = realDate(cal.due);
    if (!due) problems.push({ at: [...at, 'due'], message: `${cal.due} is not a real date` });
    else if (calibrated && due.getTime() <= calibrated.getTime()) {
      problems.push({ at: [...at, 'due'], message: `due ${cal.due} must be after calibrated ${cal.calibrated}` });
    }
  } else if (calibrated && cal.intervalMonths !== undefined) {
    cal.due = isoDate(addMonths(calibrated, cal.intervalMonths));
  }
  return problems;
}

/**
 * The record the block describes, through the same validation as API and DCC records (sign of
 * the error, ranges, repeated indications, the channel). Warnings (a point without U) are not
 * problems of the file: the gateway logs them when it starts.
 */
function checkCalibrationRecord(inst: InstrumentConfig, at: PathSegment[]): PathProblem[] {
  const cal = inst.calibration!;
  const channels: readonly { id: string; unit: string }[] = inst.channels;
  const unit = (cal.channel !== undefined ? channels.find((c) => c.id === cal.channel) : channels[0])?.unit ?? '';
  const record = recordFromConfig(inst.id, unit, cal);
  return validateRecord(record, { channels: channels.map((c) => c.id) })
    .filter((p) => p.severity === 'error')
    .map((p) => ({ at: [...at, ...p.at], message: p.message }));
}

function checkBudgets(inst: InstrumentConfig, at: PathSegment[]): PathProblem[] {
  const ids = inst.channels.map((c) => c.id);
  const problems: PathProblem[] = [];
  (inst.uncertaintyBudget ?? []).forEach((b, j) => {
    if (b.channel !== undefined && !ids.includes(b.channel)) {
      problems.push({ at: [...at, j, 'channel'], message: `no channel "${b.channel}" in instrument ${inst.id} (channels: ${ids.join(', ')})` });
    }
  });
  return problems;
}

/** The UTC midnight of a YYYY-MM-DD date, or undefined for dates like 2026-02-30. */
function realDate(text: string): Date | undefined {
  const [y, m, d] = text.split('-').map(Number);
  if (y === undefined || m === undefined || d === undefined) return undefined;
  const date = new Date(Date.UTC(y, m - 1, d));
  const same = date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
  return same ? date : undefined;
}

/** Calendar months; a day missing in the target month clamps to its last day (Jan 31 + 1 → Feb 28). */
function addMonths(date: Date, months: number): Date {
  const y = date.getUTCFullYear();
  const m = date.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return new Date(Date.UTC(y, m, Math.min(date.getUTCDate(), lastDay)));
}

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}
