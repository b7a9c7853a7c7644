/**
 * Verifies the enveloped XAdES signatures of a Digital Calibration Certificate (ISO/IEC 17025
 * 7.5 / 7.11: the integrity of records): XML-DSig core validation of every reference and of
 * SignedInfo (xml-crypto), the XAdES signed properties, the signer's chain to the site's trust
 * store judged at the signing time, and embedded revocation data.
 *
 * A document may carry several signatures made one after another (a second laboratory signing
 * what the first signed): each is checked on the document as it stood when it was made, i.e.
 * without the signatures that follow it. Every signature must hold.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { DOMParser, XMLSerializer, type Document, type Element } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { buildChain, commonName } from './certificate-chain.js';
import { checkRevocation } from './revocation.js';
import type { TrustStore } from './trust-store.js';
import { childElements, DSIG_NS, readXadesProperties, XadesError } from './xades-properties.js';
import { addDccAlgorithms, C14N_11 } from './xmldsig-algorithms.js';

export type SignatureStatus = 'verified' | 'intact' | 'unsigned';

export interface SignerReport {
  /** The signer certificate's common name, and its whole subject. */
  signer: string;
  subject: string;
  signingTime: string;
  signatureAlgorithm: string;
  /** Common names from the signer to the trust anchor; just the signer without a trust store. */
  chain: string[];
  notes: string[];
}

export interface SignatureReport {
  /** Of the file's bytes, so a platform can match the certificate it holds. */
  sha256: string;
  /** verified: intact and chained to the trust store; intact: no trust store to chain to. */
  status: SignatureStatus | 'refused';
  signers: SignerReport[];
  /** Why it was refused: the first failure, naming the signature and what failed. */
  problem?: string;
}

export interface VerifyOptions {
  trust?: TrustStore;
  /** Refuse unsigned certificates too (calibration.requireSignature). */
  requireSignature?: boolean;
  now?: Date;
}

const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

class Refused extends Error {}

const BAD_SIGNATURE_VALUE = "SignatureValue does not verify with the signer certificate: SignedInfo was changed, or the key is not the signer's";

function parse(xml: string): Document {
  try {
    return new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning') throw new Refused(`not well-formed XML: ${message}`);
      },
    }).parseFromString(xml, 'application/xml');
  } catch (err) {
    // xmldom wraps what onError throws on a fatal error in its own ParseError.
    throw err instanceof Refused ? err : new Refused(`not well-formed XML: ${(err as Error).message.replace(/^.*caused Error: not well-formed XML: /s, '')}`);
  }
}

/** ds:Signature elements in document order, leaving out any nested inside another signature. */
function topSignatures(doc: Document): Element[] {
  const all = Array.from(doc.getElementsByTagNameNS(DSIG_NS, 'Signature'));
  return all.filter((s) => {
    for (let p = s.parentNode; p; p = p.parentNode)
      if (p.nodeType === 1 && (p as Element).namespaceURI === DSIG_NS && (p as Element).localName === 'Signature') return false;
    return true;
  });
}

function signerCertificates(signature: Element): X509Certificate[] {
  const keyInfo = childElements(signature, [DSIG_NS], 'KeyInfo');
  const data = keyInfo.flatMap((k) => childElements(k, [DSIG_NS], 'X509Data'));
  const b64 = data.flatMap((d) => childElements(d, [DSIG_NS], 'X509Certificate')).map((c) => (c.textContent ?? '').replace(/\s+/g, ''));
  try {
    return b64.map((b) => new X509Certificate(Buffer.from(b, 'base64')));
  } catch (err) {
    throw new Refused(`KeyInfo holds a certificate that cannot be read (${(err as Error).message})`);
  }
}

/** The document as it stood when signature `index` was made: later signatures removed. */
function documentAt(xml: string, index: number, count: number): { text: string; signature: Element } {
  const doc = parse(xml);
  const sigs = topSignatures(doc);
  if (index === count - 1) return { text: xml, signature: sigs[index]! };
  for (const later of sigs.slice(index + 1)) later.parentNode?.removeChild(later);
  const text = new XMLSerializer().serializeToString(doc);
  return { text, signature: topSignatures(parse(text))[index]! };
}

function describeReference(ref: { uri: string; isEmptyUri: boolean }, signature: Element): string {
  if (ref.isEmptyUri || ref.uri === '') return 'the reference to the whole certificate (URI="")';
  const target = Array.from(signature.getElementsByTagName('*')).find((e) => e.getAttribute('Id') === ref.uri.slice(1));
  const what = target?.localName === 'SignedProperties' ? ' (the XAdES signed properties)' : '';
  return `the reference URI="${ref.uri}"${what}`;
}

/** XML-DSig core validation of one signature; returns its references for the coverage checks. */
function coreValidation(text: string, signature: Element, signer: X509Certificate): SignedXml {
  const sx = new SignedXml({ publicCert: signer.publicKey.export({ type: 'spki', format: 'pem' }) });
  addDccAlgorithms(sx);
  let ok: boolean;
  try {
    sx.loadSignature(signature);
    ok = sx.checkSignature(text);
  } catch (err) {
    const message = (err as Error).message;
    // xml-crypto throws, rather than answering false, when SignedInfo does not verify.
    if (/^invalid signature: the signature value .* is incorrect$/.test(message)) throw new Refused(BAD_SIGNATURE_VALUE);
    throw new Refused(message.replace(/^invalid signature: /, ''));
  }
  if (!ok) {
    const bad = sx.getReferences().find((r) => r.validationError !== undefined);
    if (bad) throw new Refused(`${describeReference(bad, signature)}: digest does not match, the content it covers was changed after signing`);
    throw new Refused(BAD_SIGNATURE_VALUE);
  }
  return sx;
}

function checkCoverage(sx: SignedXml, doc: Document, signedPropertiesId: string): void {
  const refs = sx.getReferences();
  const rootId = doc.documentElement?.getAttribute('Id') ?? '';
  const whole = refs.some((r) => (r.isEmptyUri || r.uri === '' || (rootId !== '' && r.uri === `#${rootId}`)) && r.transforms.includes(ENVELOPED));
  if (!whole) throw new Refused('no reference covers the whole certificate (URI="" with the enveloped-signature transform): its content is not protected');
  if (!refs.some((r) => r.uri === `#${signedPropertiesId}`))
    throw new Refused(`the XAdES signed properties (#${signedPropertiesId}) are not among the signed references`);
}

async function verifyOne(xml: string, index: number, count: number, opts: VerifyOptions): Promise<SignerReport> {
  try {
    return await verifyOneOrThrow(xml, index, count, opts);
  } catch (err) {
    // A library failing on a hostile certificate or CRL refuses this file, not the whole batch.
    if (err instanceof Refused) throw err;
    throw new Refused(`cannot be verified: ${(err as Error).message}`);
  }
}

async function verifyOneOrThrow(xml: string, index: number, count: number, opts: VerifyOptions): Promise<SignerReport> {
  const { text, signature } = documentAt(xml, index, count);
  // Enveloped means a child of the root: anywhere deeper it could sit inside content the importer reads.
  const parent = signature.parentNode;
  if (!parent || parent !== signature.ownerDocument?.documentElement)
    throw new Refused("the signature is not a child of the certificate's root element (an enveloped signature must be)");
  const certs = signerCertificates(signature);
  const signer = certs[0];
  if (!signer) throw new Refused('KeyInfo carries no X509Certificate: the signer cannot be identified');
  const sx = coreValidation(text, signature, signer);
  let props;
  try {
    props = readXadesProperties(signature, signer);
  } catch (err) {
    if (err instanceof XadesError) throw new Refused(err.message);
    throw err;
  }
  checkCoverage(sx, parse(text), props.signedPropertiesId);
  const now = opts.now ?? new Date();
  const notes: string[] = [];
  let chain = [signer];
  if (opts.trust) {
    const built = buildChain(signer, certs.slice(1), opts.trust, props.signingTime, now);
    if (built.problem) throw new Refused(built.problem);
    chain = built.chain;
    notes.push(...built.notes);
  } else {
    notes.push('no trust store (calibration.trust / --trust): the signature is intact, but who signed it is not checked');
  }
  const revocation = await checkRevocation(props.revocation.crls, props.revocation.ocspResponses, chain, props.signingTime);
  if (revocation.problem) throw new Refused(revocation.problem);
  notes.push(...revocation.notes);
  return {
    signer: commonName(signer),
    subject: signer.subject.replace(/\n/g, ', '),
    signingTime: props.signingTime.toISOString(),
    signatureAlgorithm: sx.signatureAlgorithm ?? '',
    chain: chain.map(commonName),
    notes,
  };
}

export async function verifyDccSignature(bytes: Buffer | string, opts: VerifyOptions = {}): Promise<SignatureReport> {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  const sha256 = createHash('sha256').update(buf).digest('hex');
  const xml = buf.toString('utf8');
  const signers: SignerReport[] = [];
  try {
    // Entities would let the signed bytes and what the importer reads differ.
    if (/<!DOCTYPE/i.test(xml)) throw new Refused('a DOCTYPE is not allowed in a calibration certificate');
    const sigs = topSignatures(parse(xml));
    if (opts.requireSignature && !opts.trust)
      throw new Refused('calibration.requireSignature needs a trust store (calibration.trust): without one, a signature by anyone would pass');
    if (sigs.length === 0) {
      if (opts.requireSignature) throw new Refused('the certificate is not signed, and calibration.requireSignature is on');
      return { sha256, status: 'unsigned', signers };
    }
    if (xml.includes(C14N_11) && /\sxml:base\s*=/.test(xml)) throw new Refused('xml:base with C14N 1.1 is not supported');
    for (let i = 0; i < sigs.length; i++) {
      try {
        signers.push(await verifyOne(xml, i, sigs.length, opts));
      } catch (err) {
        if (err instanceof Refused && sigs.length > 1) throw new Refused(`signature ${i + 1} of ${sigs.length}: ${err.message}`);
        throw err;
      }
    }
    return { sha256, status: opts.trust ? 'verified' : 'intact', signers };
  } catch (err) {
    if (!(err instanceof Refused)) throw err;
    return { sha256, status: 'refused', signers, problem: err.message };
  }
}
