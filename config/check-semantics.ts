/**
 * Checks a schema cannot express, composed from the parts: each driver and sink checks its own
 * section (drivers/<protocol>/check-config.ts, gateway/sinks/<sink>/…-config.ts); what spans
 * parts stays here: unique instrument and channel ids, a quantity from the contract's vocabulary
 * in a unit of it, calibration dates and records, budgets naming real channels, a sink to send to.
 */
import { modbusConfigCheck } from '../drivers/modbus/check-config.js';
import { opcuaConfigCheck } from '../drivers/opcua/check-config.js';
import { checkCloudConfig } from '../gateway/sinks/cloud/cloud-config.js';
import { checkInfluxConfig } from '../gateway/sinks/influx/influx-config.js';
import { checkMqttConfig } from '../gateway/sinks/mqtt/mqtt-config.js';
import { recordFromConfig } from '../gateway/calibration/record-from-config.js';
import { validateRecord } from '../gateway/calibration/validate-record.js';
import { quantityProblem } from '../gateway/contract/quantities.js';
import { checkCharacteristics } from '../gateway/calibration/characteristic/check-characteristics.js';
import { checkApiConfig } from '../gateway/api/check-api-config.js';
import { under, type PathProblem, type PathSegment } from './problem.js';
import type { CalibrationConfig, InstrumentConfig, MetrogateConfig } from './schema.js';
import { checkChecksConfig } from '../gateway/checks/check-config.js';

export type { PathProblem, PathSegment } from './problem.js';

/**
 * Each driver's check: of one instrument (it skips other protocols' instruments), and of the whole
 * list where instruments share something (an RTU line).
 */
interface DriverConfigCheck {
  instrument(inst: InstrumentConfig, at: PathSegment[]): PathProblem[];
  instruments?(instruments: readonly (InstrumentConfig | undefined)[]): PathProblem[];
}
const DRIVER_CHECKS: readonly DriverConfigCheck[] = [modbusConfigCheck, opcuaConfigCheck];

/**
 * Also completes the config: a calibration given by `intervalMonths` gets its computed `due`,
 * so the rest of the gateway reads only `due`.
 */
export function checkSemantics(config: MetrogateConfig): PathProblem[] {
  return [...checkInstruments(config.instruments), ...checkSections(config)];
}

/** Checks of whole sections, run once the schema accepted the file. */
export function checkSections(config: MetrogateConfig): PathProblem[] {
  const problems: PathProblem[] = [];
  if (config.mqtt) problems.push(...under(['mqtt'], checkMqttConfig(config.mqtt)));
  if (config.influx) problems.push(...under(['influx'], checkInfluxConfig(config.influx)));
  if (config.api) problems.push(...under(['api'], checkApiConfig(config.api)));
  if (config.cloud) problems.push(...under(['cloud'], checkCloudConfig(config.cloud)));
  if (config.checks) problems.push(...under(['checks'], checkChecksConfig(config.checks, config.instruments)));
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
      message:
        `${n > 0 ? `${n} instrument(s) but nowhere` : 'nowhere'} to send readings: configure at least one of ` +
        '`mqtt` (the edge broker), `influx.sink.enabled: true` (InfluxDB directly) or `cloud.enabled: true`',
    });
  }
  if (config.ingest?.enabled === true && config.mqtt === undefined) {
    problems.push({
      at: ['ingest', 'enabled'],
      message: 'the ingest role takes the readings from the edge broker: add an `mqtt` section, or set ingest.enabled: false',
    });
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
    problems.push(...checkChannelIds(inst.channels, ['instruments', i]));
    for (const check of DRIVER_CHECKS) problems.push(...check.instrument(inst, ['instruments', i]));
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
  for (const check of DRIVER_CHECKS) problems.push(...(check.instruments?.(instruments) ?? []));
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
