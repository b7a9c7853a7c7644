/**
 * The XML-DSig algorithms a DCC signature may use, added to xml-crypto's own (RSA-SHA1/256/512,
 * C14N 1.0, exclusive C14N, SHA-1/256/512): ECDSA with SHA-256/384/512, RSA-SHA384, SHA-384 and
 * the C14N 1.1 URI. Verification only: metrogate never signs.
 */
import { createHash, createPublicKey, createVerify, type KeyLike } from 'node:crypto';
import { C14nCanonicalization, type SignedXml } from 'xml-crypto';

const DSIG_MORE = 'http://www.w3.org/2001/04/xmldsig-more#';
export const C14N_11 = 'http://www.w3.org/2006/12/xml-c14n11';

type VerifyOnly = {
  getSignature(): never;
  verifySignature(material: string, key: KeyLike, signatureValue: string): boolean;
  getAlgorithmName(): string;
};

function verifier(uri: string, hash: string, ecdsa: boolean): new () => VerifyOnly {
  return class {
    getSignature(): never {
      throw new Error('metrogate verifies DCC signatures; it does not make them');
    }
    verifySignature(material: string, key: KeyLike, signatureValue: string): boolean {
      const v = createVerify(hash);
      v.update(material);
      // XML-DSig carries ECDSA signatures as r‖s (RFC 4050 / RFC 6931), not DER.
      const publicKey = createPublicKey(key);
      return v.verify(ecdsa ? { key: publicKey, dsaEncoding: 'ieee-p1363' } : publicKey, signatureValue, 'base64');
    }
    getAlgorithmName(): string {
      return uri;
    }
  };
}

class Sha384 {
  getHash(xml: string): string {
    return createHash('sha384').update(xml, 'utf8').digest('base64');
  }
  getAlgorithmName(): string {
    return 'http://www.w3.org/2001/04/xmldsig-more#sha384';
  }
}

/**
 * C14N 1.1 differs from C14N 1.0 only where a document subset leaves out an ancestor carrying
 * xml:id / xml:base (1.0 inherits them, 1.1 does not or fixes xml:base up). xml-crypto's C14N 1.0
 * does not inherit xml: attributes into subsets at all, so its output is C14N 1.1's for the node
 * sets signatures use: the whole document minus the signature, or an element by Id.
 * verifyDccSignature() refuses documents with xml:base, the one case where they could differ.
 */
class C14n11 extends C14nCanonicalization {
  override getAlgorithmName(): 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315' {
    return C14N_11 as 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315';
  }
}

/** Registers the extra algorithms on one verifier instance (xml-crypto keeps them per instance). */
export function addDccAlgorithms(sx: SignedXml): void {
  const sig = sx.SignatureAlgorithms as Record<string, new () => VerifyOnly>;
  for (const bits of [256, 384, 512]) sig[`${DSIG_MORE}ecdsa-sha${bits}`] = verifier(`${DSIG_MORE}ecdsa-sha${bits}`, `sha${bits}`, true);
  sig[`${DSIG_MORE}rsa-sha384`] = verifier(`${DSIG_MORE}rsa-sha384`, 'sha384', false);
  (sx.HashAlgorithms as Record<string, new () => Sha384>)['http://www.w3.org/2001/04/xmldsig-more#sha384'] = Sha384;
  (sx.CanonicalizationAlgorithms as Record<string, typeof C14nCanonicalization>)[C14N_11] = C14n11;
}

/** Digest algorithm URIs used in XAdES CertDigest, to Node hash names. */
export const DIGEST_BY_URI: Readonly<Record<string, string>> = {
  'http://www.w3.org/2000/09/xmldsig#sha1': 'sha1',
  'http://www.w3.org/2001/04/xmlenc#sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#sha384': 'sha384',
  'http://www.w3.org/2001/04/xmlenc#sha512': 'sha512',
};
