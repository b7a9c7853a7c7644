/**
 * `metrogate dcc import|show|verify`: Digital Calibration Certificates into calibration records
 * (import: dcc-import.ts), printed as they would be imported, or their signatures verified.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../../config/load-config.js';
import { DccError } from '../calibration/dcc/dcc-error.js';
import { formatDcc } from '../calibration/dcc/format-dcc.js';
import { formatSignatureReport } from '../calibration/dcc/signature/signature-policy.js';
import { verifyDccSignature } from '../calibration/dcc/signature/verify-dcc-signature.js';
import { DEFAULT_RECORDS_DIR } from '../calibration/record-store.js';
import { importFiles } from './dcc-import.js';
import { checkUnit, OPTIONS, parseBytes, policyOf, readBytes, resolveTarget, UsageError, type Target, type Values } from './dcc-target.js';

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
