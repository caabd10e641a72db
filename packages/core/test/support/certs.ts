/**
 * Throwaway X.509 certificates for TLS tests, made by `openssl` in a temp directory: a server
 * certificate for 127.0.0.1 and self-signed client certificates (as RFC 8705 §2.2 binds them).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';

export interface TestCert {
  /** PEM of the certificate and of its private key. */
  cert: string;
  key: string;
  /** DER bytes of the certificate. */
  der: Uint8Array;
}

/** A self-signed P-256 certificate for `cn` (with `127.0.0.1` as an IP SAN). */
export function makeCert(cn: string): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'scopegate-cert-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-subj', `/CN=${cn}`, '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore', timeout: 20_000 });
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    return { cert, key: readFileSync(join(dir, 'key.pem'), 'utf8'), der: new Uint8Array(new X509Certificate(cert).raw) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
