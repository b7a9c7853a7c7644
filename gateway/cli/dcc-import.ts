/**
 * `metrogate dcc import`: certificates into calibration records. A batch is checked whole before
 * anything is written: either every file becomes a record or none does, so a fix-and-rerun never
 * meets half an import.
 */
import { resolve } from 'node:path';
import { DccError } from '../calibration/dcc/dcc-error.js';
import { dccToRecord } from '../calibration/dcc/to-record.js';
import { recordSignature, type SignaturePolicy } from '../calibration/dcc/signature/signature-policy.js';
import { verifyDccSignature, type SignatureReport } from '../calibration/dcc/signature/verify-dcc-signature.js';
import type { CalibrationRecord } from '../calibration/record.js';
import { planSave, RecordStoreError, saveRecord } from '../calibration/record-store.js';
import { parseBytes, policyOf, readBytes, resolveTarget, UsageError, type Values } from './dcc-target.js';

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

export async function importFiles(files: string[], v: Values): Promise<number> {
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
