import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContext, type SecureContextOptions, type TlsOptions } from 'node:tls';
import type { TlsClientOptions, TlsFiles } from './types.js';

/*
 * Certificates and keys, read from files (secrets live in files, never in the configuration itself). ECDSA and RSA
 * keys both work: OpenSSL picks the signature scheme from the key. Problems are reported with the file they are in.
 */

/**
 * How long a session ticket lets a client resume without a full handshake. Resumption saves the costly part of a
 * reconnection (after a network change, a proxy restart behind HAProxy); tickets are encrypted with keys that live
 * only in this process, so a restart forgets them all.
 */
const SESSION_LIFETIME_S = 3_600;

/** A TLS file that cannot be used: which field of the `tls` object, the file, and what it should have been. */
export class TlsFileError extends Error {
  constructor(
    /** certFile, keyFile or caFile. */
    readonly field: string,
    readonly file: string,
    /** What was expected of the file, with the reason it is not ("a readable file (ENOENT)"). */
    readonly expected: string,
  ) {
    super(`${field} ${file}: expected ${expected}`);
  }
}

interface Pem {
  cert?: Buffer;
  key?: Buffer;
  ca?: Buffer;
}

/** Reads a listener's files and checks that they make a usable context; throws TlsFileError naming the field. */
export function readTlsFiles(files: TlsFiles): Pem & { cert: Buffer; key: Buffer } {
  const pem = readPem(files);
  return { ...pem, cert: pem.cert!, key: pem.key! };
}

/** The same for the files of outgoing TLS (each optional; a certificate needs its key). */
export function readTlsClientFiles(options: TlsClientOptions): Pem {
  return readPem(options);
}

function readPem(files: {
  certFile?: string | undefined;
  keyFile?: string | undefined;
  caFile?: string | undefined;
}): Pem {
  const pem: Pem = {};
  if (files.certFile !== undefined) pem.cert = read(files.certFile, 'certFile');
  if (files.keyFile !== undefined) pem.key = read(files.keyFile, 'keyFile');
  if (files.caFile !== undefined) pem.ca = read(files.caFile, 'caFile');
  // Each file on its own first, so that the problem names the right one; then the pair (OpenSSL would only drop a
  // key that does not match, and fail every handshake later).
  const certificate =
    pem.cert && parse('certFile', files.certFile!, 'a PEM certificate', () => new X509Certificate(pem.cert!));
  const privateKey = pem.key && parse('keyFile', files.keyFile!, 'a PEM private key', () => createPrivateKey(pem.key!));
  if (pem.ca) parse('caFile', files.caFile!, 'PEM CA certificates', () => new X509Certificate(pem.ca!));
  if (certificate && privateKey && !certificate.checkPrivateKey(privateKey)) {
    throw new TlsFileError(
      'keyFile',
      files.keyFile!,
      'the private key of certFile (it belongs to another certificate)',
    );
  }
  return pem;
}

/** The options of a TLS (or HTTPS) server for a listener. */
export function serverTlsOptions(files: TlsFiles, handshakeTimeoutMs: number): TlsOptions {
  const pem = readTlsFiles(files);
  return {
    cert: pem.cert,
    key: pem.key,
    ...(pem.ca ? { ca: pem.ca, requestCert: true, rejectUnauthorized: true } : { requestCert: false }),
    minVersion: 'TLSv1.2',
    handshakeTimeout: handshakeTimeoutMs,
    sessionTimeout: SESSION_LIFETIME_S,
    ticketKeys: randomBytes(48),
  };
}

/**
 * The certificate, key and CA of a listener read again (for `setSecureContext`), with the date the certificate
 * stops being valid (ISO 8601): a renewed certificate is used for the next handshakes; connections already open keep
 * theirs, and the session ticket keys stay, so resumption goes on.
 */
export function reloadedServerContext(files: TlsFiles): { options: SecureContextOptions; validTo: string } {
  const pem = readTlsFiles(files);
  const validTo = new Date(new X509Certificate(pem.cert).validTo).toISOString();
  return {
    options: { cert: pem.cert, key: pem.key, ...(pem.ca ? { ca: pem.ca } : {}), minVersion: 'TLSv1.2' },
    validTo,
  };
}

/** The context and verification rule for connections we open. */
export function clientTlsContext(options: TlsClientOptions): { context: SecureContext; verify: boolean } {
  const { ca, cert, key } = readTlsClientFiles(options);
  const context = createSecureContext({ ...(ca ? { ca } : {}), ...(cert && key ? { cert, key } : {}) });
  return { context, verify: options.verifyServer !== false };
}

function parse<T>(field: string, file: string, what: string, make: () => T): T {
  try {
    return make();
  } catch (error) {
    throw new TlsFileError(field, file, `${what} (${reason(error)})`);
  }
}

function read(path: string, field: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new TlsFileError(field, path, `a readable file (${reason(error)})`);
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? error.message) : String(error);
}
