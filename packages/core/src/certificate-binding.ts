/**
 * Certificate-bound tokens (RFC 8705 §3): a token whose `cnf["x5t#S256"]` names a client
 * certificate is accepted only over a connection whose client presented that certificate (the
 * TLS handshake proved it holds the key). The thumbprint, and the reading of a certificate that a
 * trusted TLS-terminating proxy passes on in a header.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { ConfigError } from './errors';

/** The verifier's `mtls` option: certificate-bound tokens on. */
export interface MtlsOptions {
  /** `true`: only certificate-bound tokens are accepted. Default `false`: tokens without `cnf["x5t#S256"]` pass too. */
  required?: boolean;
}

export interface MtlsSettings {
  readonly required: boolean;
}

export function resolveMtls(value: unknown): MtlsSettings | null {
  if (value === undefined) return null;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError('mtls must be an object ({ required? })');
  for (const k of Object.keys(value)) if (k !== 'required') throw new ConfigError(`mtls.${/^[A-Za-z0-9_]{1,32}$/.test(k) ? k : '?'} is not an option of mtls (required)`);
  const required = (value as MtlsOptions).required;
  if (required !== undefined && typeof required !== 'boolean') throw new ConfigError('mtls.required must be a boolean');
  return { required: required === true };
}

/**
 * The `x5t#S256` of a certificate: base64url SHA-256 of its DER bytes.
 *
 * @example
 * certificateThumbprint(tlsSocket.getPeerCertificate().raw)
 */
export function certificateThumbprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('base64url');
}

const PEM = /^-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----\s*$/;

/**
 * The DER of a client certificate passed on in a header by a TLS-terminating proxy: PEM (as is,
 * with its newlines as spaces or tabs, or URL-encoded as nginx's `$ssl_client_escaped_cert`), or
 * bare base64 of the DER. `null` for anything else, or for bytes that are not one X.509
 * certificate. Read such a header only from a proxy you trust: anyone else can write it.
 *
 * @example
 * certificateFromHeader(req.headers['x-client-cert'])
 */
export function certificateFromHeader(value: unknown): Uint8Array | null {
  if (typeof value !== 'string' || value === '' || value.length > 32_768) return null;
  let text = value.trim();
  if (text.includes('%')) {
    try {
      text = decodeURIComponent(text);
    } catch {
      return null;
    }
  }
  const pem = PEM.exec(text.trim());
  const base64 = pem !== null ? pem[1]!.replace(/\s+/g, '') : text;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return null;
  const der = Buffer.from(base64, 'base64');
  try {
    new X509Certificate(der);
  } catch {
    return null;
  }
  return new Uint8Array(der.buffer, der.byteOffset, der.byteLength);
}
