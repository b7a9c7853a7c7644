/**
 * Embedded OCSP responses (XAdES-LT RevocationValues/OCSPValues, RFC 6960): a response is only
 * believed when the CA that issued the certificate signed it, or a responder the CA delegated
 * (a certificate it issued with id-kp-OCSPSigning), and when its CertID names a certificate of
 * the signer's chain by issuer name hash, issuer key hash and serial. Status is judged at the
 * signing time, as for CRLs: revoked before it refuses, revoked after it is a note.
 */
import { createHash, verify, X509Certificate } from 'node:crypto';
import {
  BasicOCSPResponse,
  type CertID,
  id_kp_OCSPSigning,
  id_pkix_ocsp_basic,
  OCSPResponse,
  OCSPResponseStatus,
  type SingleResponse,
} from '@peculiar/asn1-ocsp';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { commonName } from './certificate-chain.js';

export interface OcspVerdict {
  problem?: string;
  notes: string[];
}

const HASHES: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** Signature algorithm OID → the hash Node's verify() takes (null: Ed25519 has none). */
const SIGNATURES: Record<string, string | null> = {
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.3.101.112': null,
};

const STATUS_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(OCSPResponseStatus)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => [v, k]),
);
const hex = (b: ArrayBuffer): string => Buffer.from(b).toString('hex').toUpperCase().replace(/^0+/, '');
const serialOf = (c: X509Certificate): string => c.serialNumber.toUpperCase().replace(/^0+/, '');

class Unbelievable extends Error {}

function readBasic(der: Buffer): BasicOCSPResponse {
  let response: OCSPResponse;
  try {
    response = AsnConvert.parse(der, OCSPResponse);
  } catch (err) {
    throw new Unbelievable(`RevocationValues holds an OCSP response that cannot be read (${(err as Error).message})`);
  }
  if (response.responseStatus !== OCSPResponseStatus.successful) {
    throw new Unbelievable(
      `RevocationValues holds an OCSP response with status ${STATUS_NAMES[response.responseStatus] ?? response.responseStatus}: it states no certificate status`,
    );
  }
  if (response.responseBytes?.responseType !== id_pkix_ocsp_basic) {
    throw new Unbelievable(
      `RevocationValues holds an OCSP response of type ${response.responseBytes?.responseType ?? 'none'}, not a BasicOCSPResponse (RFC 6960 4.2.1)`,
    );
  }
  try {
    return AsnConvert.parse(response.responseBytes.response.buffer, BasicOCSPResponse);
  } catch (err) {
    throw new Unbelievable(`RevocationValues holds a BasicOCSPResponse that cannot be read (${(err as Error).message})`);
  }
}

/** Does `id` name `cert` issued by `issuer`? Hashes as RFC 6960 4.1.1 defines them. */
function names(id: CertID, cert: X509Certificate, issuer: X509Certificate): boolean {
  const hash = HASHES[id.hashAlgorithm.algorithm];
  if (!hash || hex(id.serialNumber) !== serialOf(cert)) return false;
  const tbs = AsnConvert.parse(issuer.raw, Certificate).tbsCertificate;
  const nameHash = createHash(hash)
    .update(Buffer.from(AsnConvert.serialize(tbs.subject)))
    .digest();
  const keyHash = createHash(hash).update(Buffer.from(tbs.subjectPublicKeyInfo.subjectPublicKey)).digest();
  return nameHash.equals(Buffer.from(id.issuerNameHash.buffer)) && keyHash.equals(Buffer.from(id.issuerKeyHash.buffer));
}

function signedBy(basic: BasicOCSPResponse, key: X509Certificate): boolean {
  const oid = basic.signatureAlgorithm.algorithm;
  if (!(oid in SIGNATURES) || !basic.tbsResponseDataRaw) return false;
  try {
    return verify(SIGNATURES[oid] ?? null, Buffer.from(basic.tbsResponseDataRaw), key.publicKey, Buffer.from(basic.signature));
  } catch {
    return false;
  }
}

/** The CA itself or its delegated responder, whichever signed; refuses anyone else. */
function responder(basic: BasicOCSPResponse, ca: X509Certificate, carried: readonly X509Certificate[]): string {
  if (signedBy(basic, ca)) return commonName(ca);
  const other = carried.find((c) => signedBy(basic, c));
  if (!other) {
    throw new Unbelievable(
      `RevocationValues holds an OCSP response whose signature verifies neither with the key of "${commonName(ca)}" (the issuing CA) nor with a responder certificate it carries: it cannot be believed`,
    );
  }
  const producedAt = basic.tbsResponseData.producedAt;
  const delegated = other.checkIssued(ca) && other.verify(ca.publicKey) && (other.keyUsage ?? []).includes(id_kp_OCSPSigning);
  if (!delegated) {
    throw new Unbelievable(
      `RevocationValues holds an OCSP response signed by "${commonName(other)}", which "${commonName(ca)}" did not authorise (no certificate it issued with id-kp-OCSPSigning): it cannot be believed`,
    );
  }
  if (producedAt < new Date(other.validFrom) || producedAt > new Date(other.validTo)) {
    throw new Unbelievable(
      `RevocationValues holds an OCSP response signed by "${commonName(other)}" at ${producedAt.toISOString()}, outside that responder certificate's validity`,
    );
  }
  return commonName(other);
}

function judge(single: SingleResponse, cert: X509Certificate, by: string, producedAt: Date, signedAt: Date, out: OcspVerdict): void {
  const name = commonName(cert);
  const status = single.certStatus;
  if (status.revoked) {
    const when = status.revoked.revocationTime;
    if (when <= signedAt) {
      out.problem = `certificate "${name}" was revoked on ${when.toISOString()}, before the signing time ${signedAt.toISOString()} (OCSP response of "${by}")`;
      return;
    }
    out.notes.push(
      `certificate "${name}" was revoked on ${when.toISOString()}, after the signing time ${signedAt.toISOString()} (OCSP response of "${by}"): the signature stands`,
    );
    return;
  }
  if (status.good !== undefined) {
    out.notes.push(`certificate "${name}": OCSP good at ${producedAt.toISOString()} (responder "${by}")`);
    if (producedAt < signedAt)
      out.notes.push(`that OCSP response predates the signing time ${signedAt.toISOString()}: it cannot show "${name}" was not revoked when it signed`);
    return;
  }
  out.problem = `certificate "${name}": the OCSP responder "${by}" answered unknown (it does not know the certificate), so its revocation status cannot be established`;
}

/** Checks one DER OCSPResponse against the chain (signer first); sets out.problem on refusal. */
export function checkOcsp(der: Buffer, chain: readonly X509Certificate[], signedAt: Date, out: OcspVerdict): void {
  try {
    const basic = readBasic(der);
    const carried = (basic.certs ?? []).map((c) => new X509Certificate(Buffer.from(AsnConvert.serialize(c))));
    let matched = 0;
    for (const single of basic.tbsResponseData.responses) {
      const at = chain.findIndex((c, i) => i + 1 < chain.length && names(single.certID, c, chain[i + 1]!));
      if (at < 0) continue;
      matched++;
      const by = responder(basic, chain[at + 1]!, carried);
      judge(single, chain[at]!, by, basic.tbsResponseData.producedAt, signedAt, out);
      if (out.problem) return;
    }
    if (matched === 0) {
      const serials = basic.tbsResponseData.responses.map((r) => hex(r.certID.serialNumber)).join(', ');
      const why = chain.length < 2 ? " (without a trust store the signer's issuer is not known)" : '';
      throw new Unbelievable(
        `RevocationValues holds an OCSP response about no certificate of the signer's chain (serial ${serials || 'none'})${why}: it says nothing about who signed`,
      );
    }
  } catch (err) {
    if (!(err instanceof Unbelievable)) throw err;
    out.problem = err.message;
  }
}
