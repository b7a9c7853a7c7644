/**
 * One import of a DCC into a record, shared by `metrogate dcc import` and the API's upload
 * (`POST /api/calibration/dcc`): the same channel choice, the same unit conversion, the same checks.
 */
import type { CharacteristicConfig } from '../characteristic/characteristic-config.js';
import type { CalibrationRecord } from '../record.js';
import { DccError } from './dcc-error.js';
import { parseDcc } from './parse-dcc.js';
import { recordSignature, type SignaturePolicy } from './signature/signature-policy.js';
import { verifyDccSignature } from './signature/verify-dcc-signature.js';
import { dccToRecord, type ImportedRecord } from './to-record.js';

export interface TargetChannel {
  id: string;
  unit: string;
  /** A sensor read in Ω, mV or mA: its certificate's indications are read through this. */
  characteristic?: CharacteristicConfig;
}

/** The instrument has no such channel, or no channel a certificate could be converted to. */
export class ImportTargetError extends Error {
  override readonly name = 'ImportTargetError';
}

/**
 * The channel a certificate is imported for: the named one, or the instrument's only channel with a
 * unit. `give` names how the caller names a channel (`--channel ID`, `?channel=ID`).
 */
export function chooseChannel(inst: { id: string; channels: readonly TargetChannel[] }, channel: string | undefined, give: string): TargetChannel {
  const describe = (cs: readonly TargetChannel[]) => cs.map((c) => `${c.id} (${c.unit || 'no unit'})`).join(', ');
  const withUnit = inst.channels.filter((c) => c.unit !== '');
  let chosen = channel === undefined ? undefined : inst.channels.find((c) => c.id === channel);
  if (channel !== undefined && !chosen) throw new ImportTargetError(`instrument ${inst.id} has no channel "${channel}" (channels: ${describe(inst.channels)})`);
  if (!chosen) {
    if (withUnit.length !== 1)
      throw new ImportTargetError(
        `instrument ${inst.id} has ${withUnit.length === 0 ? 'no channel with a unit' : `channels ${describe(withUnit)}`}: give ${give}`,
      );
    chosen = withUnit[0]!;
  }
  if (chosen.unit === '') throw new ImportTargetError(`channel ${inst.id}.${chosen.id} has no unit, so a certificate cannot be converted to it`);
  return chosen;
}

export interface DccImportOptions {
  instrument: string;
  channel: TargetChannel;
  due?: string;
  intervalMonths?: number;
  sourceFile?: string;
}

/** DCC XML text → a record in the channel's unit; throws DccError naming the element that failed. */
export function recordFromDcc(xml: string, opts: DccImportOptions): ImportedRecord & { record: CalibrationRecord } {
  if (xml.trim() === '') throw new DccError('', 'empty document: expected a DCC XML');
  const dcc = parseDcc(xml, { unit: opts.channel.unit, ...(opts.channel.characteristic && { characteristic: opts.channel.characteristic }) });
  return dccToRecord(dcc, {
    instrument: opts.instrument,
    channel: opts.channel.id,
    ...(opts.due !== undefined && { due: opts.due }),
    ...(opts.intervalMonths !== undefined && { intervalMonths: opts.intervalMonths }),
    ...(opts.sourceFile !== undefined && { sourceFile: opts.sourceFile }),
  });
}

/**
 * An uploaded DCC's bytes → a record, with the CLI's signature check (the site's trust store and
 * requireSignature): the certificate's own problems first, then a refused signature, both as a
 * DccError; what the verification found is kept in the record as `metrogate dcc import` keeps it.
 */
export async function recordFromDccBytes(bytes: Buffer, opts: DccImportOptions, policy: SignaturePolicy): Promise<ImportedRecord> {
  const imported = recordFromDcc(bytes.toString('utf8'), opts);
  const report = await verifyDccSignature(bytes, policy);
  if (report.status === 'refused') throw new DccError('', `signature refused: ${report.problem}`);
  const kept = recordSignature(report);
  if (kept) imported.record.signature = kept;
  return imported;
}
