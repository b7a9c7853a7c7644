/**
 * The XAdES qualifying properties of one signature: the signed ones (signing time, signing
 * certificate digest) and the revocation data a long-term (XAdES-LT) signature carries.
 */
import { createHash, type X509Certificate } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import { DIGEST_BY_URI } from './xmldsig-algorithms.js';

export const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
const XADES_NS = ['http://uri.etsi.org/01903/v1.3.2#', 'http://uri.etsi.org/01903/v1.4.1#'];

export interface XadesProperties {
  /** The SignedProperties element's Id: a SignedInfo reference must point at it. */
  signedPropertiesId: string;
  signingTime: Date;
  revocation: { crls: Buffer[]; ocspResponses: Buffer[] };
}

export function childElements(parent: Element, ns: readonly string[], local: string): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n !== null; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as Element).localName === local && ns.includes((n as Element).namespaceURI ?? '')) out.push(n as Element);
  }
  return out;
}

/** Descendants by path of local names in the XAdES namespaces (ds: for DigestMethod/Value). */
function find(parent: Element, ...path: string[]): Element[] {
  let level = [parent];
  for (const local of path) {
    const ns = local === 'DigestMethod' || local === 'DigestValue' ? [DSIG_NS] : XADES_NS;
    level = level.flatMap((el) => childElements(el, ns, local));
  }
  return level;
}

const text = (el: Element | undefined): string => (el?.textContent ?? '').trim();

export class XadesError extends Error {}

function checkSigningCertificate(signed: Element, signer: X509Certificate): void {
  const certs = [
    ...find(signed, 'SignedSignatureProperties', 'SigningCertificateV2', 'Cert'),
    ...find(signed, 'SignedSignatureProperties', 'SigningCertificate', 'Cert'),
  ];
  if (certs.length === 0) throw new XadesError('XAdES SigningCertificate(V2) is missing: the signed properties do not name the signer certificate');
  const matches = certs.some((cert) => {
    const method = find(cert, 'CertDigest', 'DigestMethod')[0]?.getAttribute('Algorithm') ?? '';
    const hash = DIGEST_BY_URI[method];
    if (!hash) throw new XadesError(`XAdES CertDigest uses an unknown digest algorithm "${method}"`);
    return createHash(hash).update(signer.raw).digest('base64') === text(find(cert, 'CertDigest', 'DigestValue')[0]);
  });
  if (!matches) throw new XadesError('XAdES SigningCertificate digest does not match the certificate in KeyInfo: the signature names another signer');
}

function revocationValues(qualifying: Element): XadesProperties['revocation'] {
  const values = find(qualifying, 'UnsignedProperties', 'UnsignedSignatureProperties', 'RevocationValues');
  const decode = (els: Element[]): Buffer[] => els.map((e) => Buffer.from(text(e), 'base64'));
  return {
    crls: decode(values.flatMap((v) => find(v, 'CRLValues', 'EncapsulatedCRLValue'))),
    ocspResponses: decode(values.flatMap((v) => find(v, 'OCSPValues', 'EncapsulatedOCSPValue'))),
  };
}

/** Reads and checks the properties inside `signature`'s ds:Object; throws XadesError. */
export function readXadesProperties(signature: Element, signer: X509Certificate): XadesProperties {
  const qualifying = childElements(signature, [DSIG_NS], 'Object').flatMap((o) => childElements(o, XADES_NS, 'QualifyingProperties'));
  if (qualifying.length !== 1) throw new XadesError(`expected one XAdES QualifyingProperties in the signature, found ${qualifying.length}`);
  const q = qualifying[0]!;
  const signed = find(q, 'SignedProperties')[0];
  const id = signed?.getAttribute('Id') ?? '';
  if (!signed || id === '') throw new XadesError('XAdES SignedProperties (with an Id) is missing');
  const time = text(find(signed, 'SignedSignatureProperties', 'SigningTime')[0]);
  const signingTime = new Date(time);
  if (time === '' || Number.isNaN(signingTime.getTime())) throw new XadesError(`XAdES SigningTime is missing or not a date ("${time}")`);
  checkSigningCertificate(signed, signer);
  return { signedPropertiesId: id, signingTime, revocation: revocationValues(q) };
}
