/**
 * OCSP responses made at test time by OpenSSL's own responder (`openssl ocsp -index`), so the
 * verifier is checked against responses it did not make: a CA database (index.txt) says what is
 * good or revoked, a certificate absent from it is unknown. Nothing is committed; the keys live
 * in a temporary folder for one call.
 */
import { execFileSync } from 'node:child_process';
import { KeyObject, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Party } from './dcc-signer.js';

export interface OcspRequest {
  /** The CA whose database answers (openssl -CA / -issuer). */
  ca: Party;
  /** Who signs the response: the CA, its delegated responder, or anyone else. */
  responder: Party;
  /** The certificate asked about. */
  cert: Party;
  /** Revoked at this time; absent: good. */
  revokedAt?: Date;
  /** Leave the certificate out of the database: the responder answers unknown. */
  unknown?: boolean;
}

/** index.txt's times: UTCTime without separators, YYMMDDHHMMSSZ. */
const utc = (d: Date): string => d.toISOString().replace(/^\d\d|[-:T]|\.\d{3}/g, '');

function indexLine(cert: Party, revokedAt?: Date): string {
  const x = new X509Certificate(Buffer.from(cert.cert.rawData));
  const serial = x.serialNumber.toUpperCase();
  const even = serial.length % 2 === 0 ? serial : `0${serial}`;
  const subject = `/${x.subject.split('\n').join('/')}`;
  const revoked = revokedAt ? `${utc(revokedAt)},keyCompromise` : '';
  return [revokedAt ? 'R' : 'V', utc(new Date(x.validTo)), revoked, even, 'unknown', subject].join('\t');
}

const keyPem = (p: Party): string => KeyObject.from(p.keys.privateKey).export({ type: 'pkcs8', format: 'pem' }).toString();

/** A DER OCSPResponse for `cert`, as `openssl ocsp` answers it. */
export function opensslOcspResponse(req: OcspRequest): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-ocsp-'));
  try {
    const file = (name: string, text: string): string => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const index = file('index.txt', req.unknown ? '' : `${indexLine(req.cert, req.revokedAt)}\n`);
    const args = [
      'ocsp',
      '-index',
      index,
      '-CA',
      file('ca.pem', req.ca.pem),
      '-issuer',
      file('issuer.pem', req.ca.pem),
      '-cert',
      file('cert.pem', req.cert.pem),
      '-rsigner',
      file('responder.pem', req.responder.pem),
      '-rkey',
      file('responder.key', keyPem(req.responder)),
      '-ndays',
      '30',
      '-respout',
      join(dir, 'response.der'),
    ];
    execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    return readFileSync(join(dir, 'response.der'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
