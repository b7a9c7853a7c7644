/**
 * What a `metrogate dcc` command line names, shared by import, show and verify: its options, the
 * target a certificate is read into (unit, characteristic, channel, records dir; checked against
 * the config when one is given), the signature policy, and the certificate's bytes.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { parseArgs } from 'node:util';
import { loadConfig } from '../../config/load-config.js';
import { DccError } from '../calibration/dcc/dcc-error.js';
import { parseDcc } from '../calibration/dcc/parse-dcc.js';
import { chooseChannel, ImportTargetError } from '../calibration/dcc/import-dcc.js';
import { parseSymbolUnit } from '../calibration/dcc/units.js';
import { signaturePolicy, type SignaturePolicy } from '../calibration/dcc/signature/signature-policy.js';
import { TrustStoreError } from '../calibration/dcc/signature/trust-store.js';
import type { CharacteristicConfig } from '../calibration/characteristic/characteristic-config.js';
import { DEFAULT_RECORDS_DIR, recordsDirOf } from '../calibration/record-store.js';

export const OPTIONS = {
  instrument: { type: 'string' },
  channel: { type: 'string' },
  config: { type: 'string', short: 'c' },
  due: { type: 'string' },
  'interval-months': { type: 'string' },
  replace: { type: 'boolean', default: false },
  'dry-run': { type: 'boolean', default: false },
  'records-dir': { type: 'string' },
  unit: { type: 'string' },
  trust: { type: 'string' },
  'require-signature': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/** A mistake in the command line or the config it names: printed as is, exit 2. */
export class UsageError extends Error {}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export interface Target {
  /** The channel's unit; undefined keeps the certificate's own. */
  unit?: string;
  /** The channel's sensor characteristic: a sensor certificate's Ω / mV / mA are read through it. */
  characteristic?: CharacteristicConfig;
  channel?: string;
  recordsDir: string;
  /** The config's calibration settings (trust store, requireSignature), when --config is given. */
  settings?: { trust?: string; requireSignature?: boolean };
}

export function checkUnit(unit: string): void {
  try {
    parseSymbolUnit(unit);
  } catch (err) {
    throw new UsageError(`--unit "${unit}": ${(err as Error).message}`);
  }
}

/** The unit and records dir an import converts into and writes to, checked against the config. */
export function resolveTarget(v: Values, needInstrument: boolean): Target {
  if (v.instrument !== undefined && !ID.test(v.instrument))
    throw new UsageError(`--instrument "${v.instrument}": expected letters, digits, "_", "." or "-" (as in the config)`);
  if (!v.config) {
    if (needInstrument && !v.instrument) throw new UsageError('import needs --instrument ID');
    if (v.channel !== undefined && !ID.test(v.channel)) throw new UsageError(`--channel "${v.channel}": expected letters, digits, "_", "." or "-"`);
    if (v.unit !== undefined) checkUnit(v.unit);
    return { unit: v.unit, channel: v.channel, recordsDir: resolve(v['records-dir'] ?? DEFAULT_RECORDS_DIR) };
  }
  if (v.unit !== undefined) throw new UsageError('--unit is for use without --config (the config gives the channel its unit)');
  if (!v.instrument) throw new UsageError('--config needs --instrument ID to find the channel and its unit');
  const config = loadConfig(v.config);
  const inst = config.instruments.find((i) => i.id === v.instrument);
  if (!inst) throw new UsageError(`${v.config}: no instrument "${v.instrument}" (instruments: ${config.instruments.map((i) => i.id).join(', ') || 'none'})`);
  let channel;
  try {
    channel = chooseChannel(inst, v.channel, '--channel ID');
  } catch (err) {
    if (err instanceof ImportTargetError) throw new UsageError(`${v.config}: ${err.message}`);
    throw err;
  }
  const recordsDir = v['records-dir'] ? resolve(v['records-dir']) : recordsDirOf(config.calibration?.recordsDir, v.config);
  return {
    unit: channel.unit,
    channel: channel.id,
    recordsDir,
    settings: config.calibration,
    ...(channel.characteristic && { characteristic: channel.characteristic }),
  };
}

export function readBytes(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DccError('', code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message);
  }
}

/**
 * Parses the very bytes whose signature was verified: the file is read once. `show` keeps a
 * sensor's table without a characteristic (import cannot: it would not know what the Ω mean).
 */
export function parseBytes(bytes: Buffer, target: Pick<Target, 'unit' | 'characteristic'>, show = false): ReturnType<typeof parseDcc> {
  return parseDcc(bytes.toString('utf8'), {
    ...(target.unit !== undefined && { unit: target.unit }),
    ...(target.characteristic && { characteristic: target.characteristic }),
    ...(show && { sensorTableOnly: true }),
  });
}

export function policyOf(v: Values, target: { settings?: Target['settings'] }): SignaturePolicy {
  try {
    const policy = signaturePolicy(target.settings, v.trust === undefined ? undefined : resolve(v.trust));
    if (v['require-signature'] && !policy.trust)
      throw new UsageError('--require-signature needs a trust store (--trust DIR, or calibration.trust of --config)');
    return v['require-signature'] ? { ...policy, requireSignature: true } : policy;
  } catch (err) {
    if (err instanceof TrustStoreError) throw new UsageError(err.message);
    throw err;
  }
}
