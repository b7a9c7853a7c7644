/**
 * The site's signature policy (calibration.trust, calibration.requireSignature) as every DCC
 * import path applies it, and what of a verification a record keeps and a person reads.
 */
import type { RecordSignature } from '../../record.js';
import { loadTrustStore, TrustStoreError, type TrustStore } from './trust-store.js';
import type { SignatureReport } from './verify-dcc-signature.js';

export interface SignaturePolicy {
  trust?: TrustStore;
  requireSignature: boolean;
}

/** Throws TrustStoreError when the configured folder holds no usable trust anchor. */
export function signaturePolicy(settings: { trust?: string; requireSignature?: boolean } | undefined, trustDir?: string): SignaturePolicy {
  const dir = trustDir ?? settings?.trust;
  const requireSignature = settings?.requireSignature ?? false;
  // Without a trust store a signature proves integrity only: anyone's key would pass.
  if (requireSignature && dir === undefined)
    throw new TrustStoreError('calibration.requireSignature needs calibration.trust (a folder of the certificates that may sign DCCs)');
  return { trust: dir === undefined ? undefined : loadTrustStore(dir), requireSignature };
}

/** What the record keeps; undefined for a refused file, which never becomes a record. */
export function recordSignature(report: SignatureReport): RecordSignature | undefined {
  if (report.status === 'refused') return undefined;
  const first = report.signers[0];
  if (!first) return { status: report.status, sha256: report.sha256 };
  return { status: report.status, sha256: report.sha256, signer: first.signer, subject: first.subject, signingTime: first.signingTime, chain: first.chain };
}

/** A few lines for the terminal: the verdict, each signer, and every note. */
export function formatSignatureReport(report: SignatureReport): string {
  const lines = [`signature: ${report.status}${report.problem ? `: ${report.problem}` : ''}`, `  sha256 ${report.sha256}`];
  for (const s of report.signers) {
    lines.push(`  signed by "${s.signer}" (${s.subject}) at ${s.signingTime}, ${s.signatureAlgorithm.replace(/^.*#/, '')}`);
    if (s.chain.length > 1) lines.push(`  chain: ${s.chain.join(' → ')}`);
    for (const note of s.notes) lines.push(`  note: ${note}`);
  }
  return lines.join('\n');
}
