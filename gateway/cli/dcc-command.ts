/**
 * `metrogate dcc import|show`: Digital Calibration Certificates into calibration records.
 * A batch is checked whole before anything is written: either every file becomes a record or none
 * does, so a fix-and-rerun never meets half an import.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../../config/load-config.js';
import { DccError } from '../calibration/dcc/dcc-error.js';
import { formatDcc } from '../calibration/dcc/format-dcc.js';
import { parseDcc } from '../calibration/dcc/parse-dcc.js';
import { dccToRecord } from '../calibration/dcc/to-record.js';
import { chooseChannel, ImportTargetError } from '../calibration/dcc/import-dcc.js';
import { parseSymbolUnit } from '../calibration/dcc/units.js';
import { formatSignatureReport, recordSignature, signaturePolicy, type SignaturePolicy } from '../calibration/dcc/signature/signature-policy.js';
import { TrustStoreError } from '../calibration/dcc/signature/trust-store.js';
import { verifyDccSignature, type SignatureReport } from '../calibration/dcc/signature/verify-dcc-signature.js';
import type { CalibrationRecord } from '../calibration/record.js';
import type { CharacteristicConfig } from '../calibration/characteristic/characteristic-config.js';
import { DEFAULT_RECORDS_DIR, planSave, recordsDirOf, RecordStoreError, saveRecord } from '../calibration/record-store.js';

export const DCC_USAGE = `Usage:
  metrogate dcc import FILE.xml... --instrument ID [--channel ID] [--config FILE]
                       [--due YYYY-MM-DD | --interval-months N] [--replace] [--dry-run]
                       [--records-dir DIR] [--unit UNIT]
      Read PTB Digital Calibration Certificates (DCC 3.x) and store each as a calibration record,
      <records dir>/<instrument>/<certificate>.json. With --config the values are converted into
      the channel's unit and the records dir is calibration.recordsDir (default ${DEFAULT_RECORDS_DIR},
      relative to the config file); without it, into --unit or the certificate's own unit, in
      --records-dir (default ${DEFAULT_RECORDS_DIR}). --due / --interval-months give the due date
      when the certificate states none (and win over the one it states). --replace overwrites a
      different record with the same certificate id; --dry-run checks and writes nothing.
      A sensor's certificate (reference °C against indication Ω, mV or mA) imports into a channel
      with a characteristic: the indications are read through it, U by its sensitivity.
  metrogate dcc show FILE.xml [--config FILE --instrument ID [--channel ID] | --unit UNIT] [--trust DIR]
      Print what would be imported: identification, dates, validity range, error tables, signature;
      for a sensor's certificate the table as stated, the characteristic, the fitted
      Callendar–Van Dusen coefficients and their residuals.
  metrogate dcc verify FILE.xml... [--trust DIR | --config FILE] [--require-signature]
      Verify each certificate's XAdES signature: every reference digest and the SignedInfo
      signature, the signed properties (signing time, signing certificate), the signer's chain to
      the trust store (--trust, or calibration.trust of --config) judged at the signing time, and
      embedded revocation data. Import applies the same check: a certificate whose signature fails
      is never imported, and with calibration.requireSignature (or --require-signature) neither is
      an unsigned one.
Exit code 0 on success, 2 on a bad file or argument (nothing is imported then).`;

const OPTIONS = {
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

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/** A mistake in the command line or the config it names: printed as is, exit 2. */
class UsageError extends Error {}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

interface Target {
  /** The channel's unit; undefined keeps the certificate's own. */
  unit?: string;
  /** The channel's sensor characteristic: a sensor certificate's Ω / mV / mA are read through it. */
  characteristic?: CharacteristicConfig;
  channel?: string;
  recordsDir: string;
  /** The config's calibration settings (trust store, requireSignature), when --config is given. */
  settings?: { trust?: string; requireSignature?: boolean };
}

function checkUnit(unit: string): void {
  try {
    parseSymbolUnit(unit);
  } catch (err) {
    throw new UsageError(`--unit "${unit}": ${(err as Error).message}`);
  }
}

/** The unit and records dir an import converts into and writes to, checked against the config. */
function resolveTarget(v: Values, needInstrument: boolean): Target {
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

function readBytes(file: string): Buffer {
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
function parseBytes(bytes: Buffer, target: Pick<Target, 'unit' | 'characteristic'>, show = false): ReturnType<typeof parseDcc> {
  return parseDcc(bytes.toString('utf8'), {
    ...(target.unit !== undefined && { unit: target.unit }),
    ...(target.characteristic && { characteristic: target.characteristic }),
    ...(show && { sensorTableOnly: true }),
  });
}

function policyOf(v: Values, target: { settings?: Target['settings'] }): SignaturePolicy {
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

interface VerifiedFile {
  bytes: Buffer;
  /** A refused signature is a DccError naming what failed. */
  signature: SignatureReport | DccError;
}

/** Reads each file once and verifies its signature; an unreadable file is a DccError. */
async function verifyAll(files: string[], policy: SignaturePolicy): Promise<Map<string, VerifiedFile | DccError>> {
  const out = new Map<string, VerifiedFile | DccError>();
  for (const file of files) {
    try {
      const bytes = readBytes(file);
      const report = await verifyDccSignature(bytes, policy);
      out.set(file, { bytes, signature: report.status === 'refused' ? new DccError('', `signature refused: ${report.problem}`) : report });
    } catch (err) {
      if (!(err instanceof DccError)) throw err;
      out.set(file, err);
    }
  }
  return out;
}

function dueOptions(v: Values): { due?: string; intervalMonths?: number } {
  if (v.due !== undefined && v['interval-months'] !== undefined) throw new UsageError('give either --due or --interval-months, not both');
  if (v.due !== undefined) {
    const d = new Date(`${v.due}T00:00:00Z`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v.due) || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v.due)
      throw new UsageError(`--due "${v.due}": expected a date YYYY-MM-DD`);
    return { due: v.due };
  }
  if (v['interval-months'] !== undefined) {
    const n = Number(v['interval-months']);
    if (!Number.isInteger(n) || n < 1 || n > 240)
      throw new UsageError(`--interval-months "${v['interval-months']}": expected a whole number of months from 1 to 240`);
    return { intervalMonths: n };
  }
  return {};
}

async function importFiles(files: string[], v: Values): Promise<number> {
  if (files.length === 0) throw new UsageError('import needs at least one FILE.xml');
  const target = resolveTarget(v, true);
  const due = dueOptions(v);
  const signatures = await verifyAll(files, policyOf(v, target));
  const planned: { record: CalibrationRecord; file: string }[] = [];
  const seen = new Map<string, string>();
  let failed = 0;
  files.forEach((file, i) => {
    const tag = `[${i + 1}/${files.length}] ${file}`;
    try {
      // The certificate's own problems first: a file that is no DCC is named as such.
      const verified = signatures.get(file)!;
      if (verified instanceof DccError) throw verified;
      const dcc = parseBytes(verified.bytes, target);
      const signature = verified.signature;
      if (signature instanceof DccError) throw signature;
      const { record, dueFrom, warnings } = dccToRecord(dcc, { instrument: v.instrument!, channel: target.channel, ...due, sourceFile: resolve(file) });
      const kept = signature && recordSignature(signature);
      if (kept) record.signature = kept;
      const plan = planSave(target.recordsDir, record, { replace: v.replace });
      const twin = seen.get(plan.file);
      if (twin) throw new DccError('', `certificate ${record.certificate} is also in ${twin}`);
      seen.set(plan.file, file);
      planned.push({ record, file: plan.file });
      const asFound = record.asFound ? `, as-found ${record.asFound.length} points` : '';
      console.log(
        `${tag}: certificate ${record.certificate}, calibrated ${record.calibrated}, due ${record.due} (${dueFrom}), ` +
          `${record.errorTable.length} points in ${record.unit}${asFound}, ${describeSignature(kept)} → ${plan.file} (${plan.outcome === 'created' ? 'new' : plan.outcome === 'replaced' ? 'replaces the stored record' : 'already stored, unchanged'})`,
      );
      for (const w of warnings) console.log(`${tag}: warning: ${w}`);
    } catch (err) {
      if (!(err instanceof DccError || err instanceof RecordStoreError)) throw err;
      failed++;
      console.error(`${tag}: ${err.message}`);
    }
  });
  if (failed > 0) {
    console.error(`metrogate dcc import: nothing imported: ${failed} of ${files.length} file${files.length === 1 ? '' : 's'} cannot be imported`);
    return 2;
  }
  if (v['dry-run']) {
    console.log(`dry run: ${planned.length} record${planned.length === 1 ? '' : 's'} checked, nothing written`);
    return 0;
  }
  let written = 0;
  for (const { record } of planned) {
    try {
      saveRecord(target.recordsDir, record, { replace: v.replace });
      written++;
    } catch (err) {
      if (!(err instanceof RecordStoreError)) throw err;
      console.error(`${err.message} (${written} of ${planned.length} records written before it)`);
      return 2;
    }
  }
  console.log(`imported ${planned.length} record${planned.length === 1 ? '' : 's'} into ${target.recordsDir}`);
  return 0;
}

function describeSignature(s: CalibrationRecord['signature']): string {
  if (!s || s.status === 'unsigned') return 'unsigned';
  return `signed by "${s.signer}" at ${s.signingTime} (${s.status === 'verified' ? 'verified against the trust store' : 'intact; no trust store to check the signer'})`;
}

async function verify(files: string[], v: Values): Promise<number> {
  if (files.length === 0) throw new UsageError('verify needs at least one FILE.xml');
  const settings = v.config ? loadConfig(v.config).calibration : undefined;
  const policy = policyOf(v, { settings });
  let refused = 0;
  for (const file of files) {
    try {
      const report = await verifyDccSignature(readBytes(file), policy);
      if (report.status === 'refused') refused++;
      (report.status === 'refused' ? console.error : console.log)(`${file}: ${formatSignatureReport(report)}`);
    } catch (err) {
      if (!(err instanceof DccError)) throw err;
      refused++;
      console.error(`${file}: ${err.message}`);
    }
  }
  return refused > 0 ? 2 : 0;
}

async function show(files: string[], v: Values): Promise<number> {
  if (files.length !== 1) throw new UsageError('show takes one FILE.xml');
  if (v.unit !== undefined) checkUnit(v.unit);
  const target: Pick<Target, 'unit' | 'settings' | 'characteristic'> = v.config || v.instrument ? resolveTarget(v, false) : { unit: v.unit };
  try {
    const bytes = readBytes(files[0]!);
    const report = await verifyDccSignature(bytes, policyOf(v, target));
    console.log(formatDcc(parseBytes(bytes, target, true), files[0]!));
    (report.status === 'refused' ? console.error : console.log)(formatSignatureReport(report));
    return report.status === 'refused' ? 2 : 0;
  } catch (err) {
    if (!(err instanceof DccError)) throw err;
    console.error(`${files[0]}: ${err.message}`);
    return 2;
  }
}

export async function runDccCommand(args: string[]): Promise<number> {
  try {
    const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
    const [sub, ...files] = positionals;
    if (values.help || sub === undefined || sub === 'help') {
      console.log(DCC_USAGE);
      return values.help || sub === 'help' ? 0 : 2;
    }
    if (sub === 'import') return await importFiles(files, values);
    if (sub === 'show') return await show(files, values);
    if (sub === 'verify') return await verify(files, values);
    throw new UsageError(`unknown dcc command "${sub}" (import, show or verify)`);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 2;
    }
    const parseError = err instanceof TypeError && (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
    if (err instanceof UsageError || parseError) {
      console.error(`metrogate dcc: ${(err as Error).message}\n\n${DCC_USAGE}`);
      return 2;
    }
    throw err;
  }
}
