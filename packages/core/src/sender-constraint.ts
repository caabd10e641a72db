/**
 * Sender-constrained tokens: is this token presented by its holder? A token's `cnf` claim
 * (RFC 7800) says how it is bound — `jkt` to a DPoP key (RFC 9449), `x5t#S256` to a client
 * certificate (RFC 8705) — and the request must prove it: a DPoP proof, the certificate. Tokens
 * bound in a way this verifier does not check are refused, never taken as bearer tokens.
 */
import type { AuthorizationInput } from './bearer';
import { certificateThumbprint, type MtlsSettings } from './certificate-binding';
import { checkDpopProof, type DpopSettings } from './dpop-proof';
import { InvalidRequestError, UnauthorizedError } from './errors';
import type { JWTPayload } from './jose-types';

/** The scheme a token came with in the `Authorization` header. */
export type TokenScheme = 'Bearer' | 'DPoP';

/**
 * What an adapter passes on of a request, for sender-constrained tokens. Built per request only
 * when the verifier checks DPoP or certificates.
 */
export interface RequestProof {
  /** The request target as received, origin-form with the query (`req.originalUrl` in Express, `req.url` in node:http): DPoP's `htu` is compared with it. */
  readonly target: string;
  /** The `DPoP` header value(s) (`req.headers.dpop`). */
  readonly dpop?: AuthorizationInput;
  /** The client certificate's DER bytes, or `null`: asked only for certificate-bound tokens. */
  certificate?(): Uint8Array | null | undefined;
}

export interface SenderSettings {
  readonly dpop: DpopSettings | null;
  readonly mtls: MtlsSettings | null;
}

/**
 * Check how `token` (verified as `claims`) was presented. Returns `undefined` when that holds
 * without waiting, a promise for a DPoP proof (checked on every request, cached token or not);
 * throws `UnauthorizedError` / `InvalidRequestError`, or the promise rejects with a
 * `DpopProofError` or `ReplayUnavailableError`.
 */
export function confirmSender(
  settings: SenderSettings,
  claims: Readonly<JWTPayload>,
  token: string,
  scheme: TokenScheme,
  method: string,
  proof: RequestProof | undefined,
): undefined | Promise<void> {
  const cnf = claims.cnf;
  const { dpop, mtls } = settings;
  if (cnf === undefined) {
    // A bearer token: fine unless only bound tokens are accepted, or it came as a DPoP one.
    if (scheme === 'DPoP') throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: not a DPoP-bound token');
    if (dpop?.required) throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: only DPoP-bound tokens are accepted');
    if (mtls?.required) throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: only certificate-bound tokens are accepted');
    // RFC 9449 §7.2: a proof with the Bearer scheme is a client mixing the two; refused rather than ignored.
    if (dpop !== null && proof?.dpop !== undefined && proof.dpop !== null && proof.dpop !== '') {
      throw new InvalidRequestError('A DPoP proof was sent with the Bearer scheme; use "Authorization: DPoP <token>"');
    }
    return undefined;
  }
  if (cnf === null || typeof cnf !== 'object' || Array.isArray(cnf)) throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: "cnf" claim must be an object');
  const confirmation = cnf as Record<string, unknown>;
  let methods = 0;
  for (const key in confirmation) {
    if (key !== 'jkt' && key !== 'x5t#S256') throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: unsupported confirmation method in "cnf"');
    methods++;
  }
  if (methods === 0) throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: empty "cnf" claim');
  const jkt = confirmation.jkt;
  const x5t = confirmation['x5t#S256'];
  if (x5t !== undefined) {
    if (typeof x5t !== 'string' || x5t === '') throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: "cnf" claim is malformed');
    if (mtls === null) throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: certificate-bound tokens are not accepted here');
    const der = proof?.certificate?.();
    if (der === undefined || der === null || der.byteLength === 0) throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: certificate-bound token without a client certificate');
    if (certificateThumbprint(der) !== x5t) throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: the client certificate is not the one the token is bound to');
  } else if (mtls?.required) {
    throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: only certificate-bound tokens are accepted');
  }
  if (jkt === undefined) {
    if (scheme === 'DPoP') throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: not a DPoP-bound token');
    if (dpop?.required) throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: only DPoP-bound tokens are accepted');
    return undefined;
  }
  if (typeof jkt !== 'string' || jkt === '') throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: "cnf" claim is malformed');
  if (dpop === null) throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: DPoP-bound tokens are not accepted here');
  // RFC 9449 §7.1: a DPoP-bound token is never a bearer token.
  if (scheme !== 'DPoP') throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: a DPoP-bound token must be sent with the DPoP scheme');
  if (proof === undefined) throw new UnauthorizedError('ERR_TOKEN_INVALID', 'Invalid token: no request to check the DPoP proof against');
  return checkDpopProof(dpop, { method, target: proof.target, proof: proof.dpop }, token, jkt);
}
