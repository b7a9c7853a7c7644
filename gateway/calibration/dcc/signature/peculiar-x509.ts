/**
 * @peculiar/x509 (CRLs, key usage) with what it needs before its first use: the reflect polyfill
 * its dependency injection reads at load time, and Node's WebCrypto as its crypto provider.
 * Import it from here, never directly.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { cryptoProvider } from '@peculiar/x509';

cryptoProvider.set(webcrypto as unknown as Parameters<typeof cryptoProvider.set>[0]);

export { KeyUsageFlags, KeyUsagesExtension, X509Certificate as PeculiarCertificate, X509Crl } from '@peculiar/x509';
