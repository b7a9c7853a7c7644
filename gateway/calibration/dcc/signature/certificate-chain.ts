/**
 * Builds the signer's chain to a trust anchor and judges every link at the signing time, as
 * long-term signatures require: a laboratory certificate that expired after it signed is fine
 * (and said so); one that was not yet or no longer valid when it signed is not.
 */
import type { X509Certificate } from 'node:crypto';
import { KeyUsageFlags, KeyUsagesExtension, PeculiarCertificate } from './peculiar-x509.js';
import { isSelfSigned, type TrustStore } from './trust-store.js';

export interface ChainResult {
  /** Signer first, trust anchor last; empty when no chain was found. */
  chain: X509Certificate[];
  problem?: string;
  notes: string[];
}

const MAX_DEPTH = 8;

export function commonName(cert: X509Certificate): string {
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject);
  return cn?.[1] ?? cert.subject.replace(/\n/g, ', ');
}

const day = (d: Date): string => d.toISOString().slice(0, 10);

function issuerOf(cert: X509Certificate, candidates: readonly X509Certificate[]): X509Certificate | undefined {
  return candidates.find((c) => c !== cert && cert.checkIssued(c) && cert.verify(c.publicKey));
}

function canSign(signer: X509Certificate): boolean {
  const usage = new PeculiarCertificate(signer.raw).getExtension(KeyUsagesExtension);
  return usage === null || (usage.usages & (KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation)) !== 0;
}

function judgeValidity(chain: readonly X509Certificate[], signedAt: Date, now: Date): { problem?: string; notes: string[] } {
  const notes: string[] = [];
  for (const cert of chain) {
    const from = new Date(cert.validFrom);
    const to = new Date(cert.validTo);
    if (signedAt < from || signedAt > to) {
      return {
        problem: `certificate "${commonName(cert)}" was not valid at the signing time ${signedAt.toISOString()} (valid ${day(from)} to ${day(to)})`,
        notes,
      };
    }
    if (now > to)
      notes.push(`certificate "${commonName(cert)}" expired on ${day(to)}, after the signing time ${day(signedAt)}: judged at the signing time, it was valid`);
  }
  return { notes };
}

/** `extra` holds certificates the signature itself carries (KeyInfo), tried as intermediates. */
export function buildChain(signer: X509Certificate, extra: readonly X509Certificate[], trust: TrustStore, signedAt: Date, now: Date): ChainResult {
  if (!canSign(signer))
    return { chain: [], notes: [], problem: `the signer certificate "${commonName(signer)}" does not allow digital signatures (key usage)` };
  const pool = [...trust.intermediates, ...extra.filter((c) => !isSelfSigned(c))];
  const chain = [signer];
  let current = signer;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const root = trust.roots.find((r) => r.raw.equals(current.raw)) ?? issuerOf(current, trust.roots);
    if (root) {
      if (!root.raw.equals(current.raw)) chain.push(root);
      const validity = judgeValidity(chain, signedAt, now);
      return { chain, ...validity };
    }
    const next = issuerOf(current, pool);
    if (!next || chain.includes(next)) break;
    if (!next.ca) return { chain: [], notes: [], problem: `certificate "${commonName(next)}" issued "${commonName(current)}" but is not a CA certificate` };
    chain.push(next);
    current = next;
  }
  const issuer = current.issuer.replace(/\n/g, ', ');
  return {
    chain: [],
    notes: [],
    problem: `the signer certificate "${commonName(signer)}" does not chain to the trust store ${trust.dir}: no trusted issuer for "${issuer}"`,
  };
}
