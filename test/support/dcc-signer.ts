/**
 * Makes signed DCC variants at test time (no key or certificate is committed): a CA hierarchy
 * like a calibration community's, and enveloped XAdES signatures made with xml-crypto, so the
 * verifier is tested against signatures it did not make itself.
 */
import 'reflect-metadata';
import { createHash, createSign, KeyObject, webcrypto } from 'node:crypto';

type CryptoKeyPair = webcrypto.CryptoKeyPair;
import {
  BasicConstraintsExtension,
  cryptoProvider,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  X509Certificate,
  X509CertificateGenerator,
  X509CrlGenerator,
  X509CrlReason,
} from '@peculiar/x509';
import { SignedXml } from 'xml-crypto';

cryptoProvider.set(webcrypto as unknown as Parameters<typeof cryptoProvider.set>[0]);

export type KeyKind = 'ec' | 'rsa';

export interface Party {
  cert: X509Certificate;
  keys: CryptoKeyPair;
  pem: string;
}

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const RSA = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' } as const;
let serial = 1;

async function makeParty(
  name: string,
  issuer: Party | undefined,
  opts: { ca: boolean; kind?: KeyKind; from?: Date; to?: Date; ocspSigning?: boolean },
): Promise<Party> {
  const alg = opts.kind === 'rsa' ? RSA : EC;
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const usages = opts.ca ? KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign : KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation;
  const cert = await X509CertificateGenerator.create({
    serialNumber: (serial++).toString(16).padStart(2, '0'),
    subject: name,
    issuer: issuer?.cert.subject ?? name,
    notBefore: opts.from ?? new Date('2020-01-01T00:00:00Z'),
    notAfter: opts.to ?? new Date('2040-01-01T00:00:00Z'),
    signingAlgorithm: issuer ? (issuer.keys.privateKey.algorithm.name === 'ECDSA' ? EC : RSA) : alg,
    publicKey: keys.publicKey,
    signingKey: (issuer?.keys ?? keys).privateKey,
    extensions: [
      new BasicConstraintsExtension(opts.ca, undefined, true),
      new KeyUsagesExtension(usages, true),
      ...(opts.ocspSigning ? [new ExtendedKeyUsageExtension([ExtendedKeyUsage.ocspSigning], false)] : []),
    ],
  });
  return { cert, keys, pem: cert.toString('pem') };
}

export interface Pki {
  root: Party;
  sub: Party;
  signer: Party;
}

export async function makePki(opts: { kind?: KeyKind; signerFrom?: Date; signerTo?: Date; prefix?: string } = {}): Promise<Pki> {
  const p = opts.prefix ?? 'Test';
  const root = await makeParty(`CN=${p} Calibration Root CA,O=${p} Community,C=DE`, undefined, { ca: true });
  const sub = await makeParty(`CN=${p} Calibration Sub CA,O=${p} Community,C=DE`, root, { ca: true });
  const signer = await makeParty(`CN=${p} Lab A1,O=${p} Lab GmbH,C=DE`, sub, { ca: false, kind: opts.kind, from: opts.signerFrom, to: opts.signerTo });
  return { root, sub, signer };
}

/** A responder certificate `ca` issues: delegated OCSP signing (id-kp-OCSPSigning) unless told otherwise. */
export function makeResponder(ca: Party, name: string, ocspSigning = true): Promise<Party> {
  return makeParty(name, ca, { ca: false, ocspSigning });
}

/** A CRL from `issuer` revoking `revoked` at `when`, DER. */
export async function makeCrl(issuer: Party, revoked: Party, when: Date): Promise<Buffer> {
  const crl = await X509CrlGenerator.create({
    issuer: issuer.cert.subject,
    thisUpdate: new Date(when.getTime() + 86_400_000),
    nextUpdate: new Date(when.getTime() + 31 * 86_400_000),
    entries: [{ serialNumber: revoked.cert.serialNumber, revocationDate: when, reason: X509CrlReason.keyCompromise }],
    signingAlgorithm: issuer.keys.privateKey.algorithm.name === 'ECDSA' ? EC : RSA,
    signingKey: issuer.keys.privateKey,
  });
  return Buffer.from(crl.rawData);
}

const DSIG_MORE = 'http://www.w3.org/2001/04/xmldsig-more#';

function signerAlgorithm(uri: string, hash: string, ecdsa: boolean): new () => object {
  return class {
    getSignature(material: string, key: string): string {
      const s = createSign(hash);
      s.update(material);
      return s.sign(ecdsa ? { key, dsaEncoding: 'ieee-p1363' } : key, 'base64');
    }
    verifySignature(): boolean {
      return false;
    }
    getAlgorithmName(): string {
      return uri;
    }
  };
}

export interface SignOptions {
  signingTime?: Date;
  /** e.g. ecdsa-sha256, ecdsa-sha512, rsa-sha256, rsa-sha512 */
  algorithm?: string;
  /** Certificates added to KeyInfo after the signer's (intermediates). */
  extraCerts?: Party[];
  crls?: Buffer[];
  /** DER OCSPResponses for RevocationValues/OCSPValues. */
  ocspResponses?: Buffer[];
  id?: string;
  /** Leave the XAdES SignedProperties out of SignedInfo. */
  unsignedProperties?: boolean;
}

/** Appends an enveloped XAdES-BES (or -LT with crls / ocspResponses) signature to the document's root. */
export async function signDcc(xml: string, signer: Party, opts: SignOptions = {}): Promise<string> {
  const id = opts.id ?? `sig-${serial++}`;
  const der = Buffer.from(signer.cert.rawData);
  const alg = opts.algorithm ?? (signer.keys.privateKey.algorithm.name === 'ECDSA' ? 'ecdsa-sha256' : 'rsa-sha256');
  const hash = alg.replace(/^.*-/, '');
  const time = (opts.signingTime ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const ds = 'xmlns:ds="http://www.w3.org/2000/09/xmldsig#"';
  const crlValues = opts.crls?.length
    ? `<xades:CRLValues>${opts.crls.map((c) => `<xades:EncapsulatedCRLValue>${c.toString('base64')}</xades:EncapsulatedCRLValue>`).join('')}</xades:CRLValues>`
    : '';
  const ocspValues = opts.ocspResponses?.length
    ? `<xades:OCSPValues>${opts.ocspResponses.map((r) => `<xades:EncapsulatedOCSPValue>${r.toString('base64')}</xades:EncapsulatedOCSPValue>`).join('')}</xades:OCSPValues>`
    : '';
  const revocation =
    crlValues || ocspValues
      ? `<xades:UnsignedProperties><xades:UnsignedSignatureProperties><xades:RevocationValues>${crlValues}${ocspValues}</xades:RevocationValues></xades:UnsignedSignatureProperties></xades:UnsignedProperties>`
      : '';
  const qualifying =
    `<xades:QualifyingProperties xmlns:xades="http://uri.etsi.org/01903/v1.3.2#" Target="#${id}">` +
    `<xades:SignedProperties Id="xades-${id}"><xades:SignedSignatureProperties><xades:SigningTime>${time}</xades:SigningTime>` +
    `<xades:SigningCertificateV2><xades:Cert><xades:CertDigest><ds:DigestMethod ${ds} Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>` +
    `<ds:DigestValue ${ds}>${createHash('sha256').update(der).digest('base64')}</ds:DigestValue></xades:CertDigest></xades:Cert>` +
    `</xades:SigningCertificateV2></xades:SignedSignatureProperties></xades:SignedProperties>${revocation}</xades:QualifyingProperties>`;
  const certs = [signer, ...(opts.extraCerts ?? [])].map((p) => `<ds:X509Certificate>${Buffer.from(p.cert.rawData).toString('base64')}</ds:X509Certificate>`);
  const sx = new SignedXml({
    privateKey: KeyObject.from(signer.keys.privateKey).export({ type: 'pkcs8', format: 'pem' }).toString(),
    signatureAlgorithm: `${alg.startsWith('rsa-sha1') ? 'http://www.w3.org/2000/09/xmldsig#' : DSIG_MORE}${alg}` as SignedXml['signatureAlgorithm'],
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
    getKeyInfoContent: () => `<ds:X509Data>${certs.join('')}</ds:X509Data>`,
    objects: [{ content: qualifying }],
  });
  (sx.SignatureAlgorithms as Record<string, new () => object>)[`${DSIG_MORE}${alg}`] = signerAlgorithm(`${DSIG_MORE}${alg}`, hash, alg.startsWith('ecdsa'));
  sx.addReference({
    xpath: '/*',
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    isEmptyUri: true,
  });
  if (!opts.unsignedProperties) {
    sx.addReference({
      xpath: `//*[@Id='xades-${id}']`,
      transforms: ['http://www.w3.org/2001/10/xml-exc-c14n#'],
      digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
      type: 'http://uri.etsi.org/01903#SignedProperties',
    });
  }
  sx.computeSignature(xml, { prefix: 'ds', attrs: { Id: id }, location: { reference: '/*', action: 'append' } });
  return sx.getSignedXml();
}
