/**
 * Embedded revocation data (XAdES-LT RevocationValues): a chain certificate revoked before the
 * signing time makes the signature worthless; revoked after it, the signature stands (and the
 * report says so). CRLs are checked against their issuer in the chain before they are believed,
 * OCSP responses against the issuing CA or its delegated responder (ocsp.ts).
 */
import type { X509Certificate } from 'node:crypto';
import { commonName } from './certificate-chain.js';
import { checkOcsp } from './ocsp.js';
import { PeculiarCertificate, X509Crl } from './peculiar-x509.js';

export interface RevocationResult {
  problem?: string;
  notes: string[];
}

const day = (d: Date): string => d.toISOString().slice(0, 10);
const serialOf = (c: X509Certificate): string => c.serialNumber.toUpperCase().replace(/^0+/, '');

async function checkCrl(der: Buffer, chain: readonly X509Certificate[], signedAt: Date, out: RevocationResult): Promise<void> {
  let crl: X509Crl;
  try {
    crl = new X509Crl(der);
  } catch (err) {
    out.problem = `RevocationValues holds a CRL that cannot be read (${(err as Error).message})`;
    return;
  }
  // RFC 5280 requires nextUpdate; @peculiar/x509 also misreads the revoked entries of a CRL
  // without one (none found), which would let a revoked signer through.
  if (crl.nextUpdate === undefined) {
    out.problem = `RevocationValues holds a CRL from "${crl.issuer}" without nextUpdate (RFC 5280 5.1.2.5 requires it): it cannot be relied on`;
    return;
  }
  // The CRL's issuer is whichever chain certificate's key verifies it: names can be spelt two ways.
  let issuer: X509Certificate | undefined;
  for (const c of chain) {
    if (await crl.verify({ publicKey: new PeculiarCertificate(c.raw) }).catch(() => false)) {
      issuer = c;
      break;
    }
  }
  if (!issuer) {
    out.problem = `RevocationValues holds a CRL from "${crl.issuer}" that no certificate of the signer's chain signed`;
    return;
  }
  if (!issuer.ca) {
    out.problem = `RevocationValues holds a CRL signed by "${commonName(issuer)}", which is not a CA: it cannot vouch for any certificate`;
    return;
  }
  for (const cert of chain) {
    if (cert === issuer || cert.issuer !== issuer.subject) continue;
    const entry = crl.entries.find((e) => e.serialNumber.toUpperCase().replace(/^0+/, '') === serialOf(cert));
    if (!entry) continue;
    if (entry.revocationDate <= signedAt) {
      out.problem = `certificate "${commonName(cert)}" was revoked on ${entry.revocationDate.toISOString()}, before the signing time ${signedAt.toISOString()} (CRL of "${commonName(issuer)}")`;
      return;
    }
    out.notes.push(
      `certificate "${commonName(cert)}" was revoked on ${day(entry.revocationDate)}, after the signing time ${day(signedAt)}: the signature stands`,
    );
  }
  if (crl.thisUpdate < signedAt) {
    out.notes.push(
      `the CRL of "${commonName(issuer)}" (${day(crl.thisUpdate)}) predates the signing time ${day(signedAt)}: it cannot show the certificate was not revoked when it signed`,
    );
  } else {
    out.notes.push(`CRL of "${commonName(issuer)}" (${day(crl.thisUpdate)}) checked`);
  }
}

export async function checkRevocation(
  crls: readonly Buffer[],
  ocspResponses: readonly Buffer[],
  chain: readonly X509Certificate[],
  signedAt: Date,
): Promise<RevocationResult> {
  const out: RevocationResult = { notes: [] };
  for (const der of crls) {
    await checkCrl(der, chain, signedAt, out);
    if (out.problem) return out;
  }
  for (const der of ocspResponses) {
    checkOcsp(der, chain, signedAt, out);
    if (out.problem) return out;
  }
  if (crls.length === 0 && ocspResponses.length === 0) out.notes.push('no embedded revocation data (XAdES-LT RevocationValues): revocation not checked');
  return out;
}
