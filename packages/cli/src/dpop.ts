/**
 * DPoP (RFC 9449) for the command line: a client key pair (`scopegate dpop-key`) and proofs
 * signed with it (`scopegate dpop-proof`), to try a DPoP-protected API with curl.
 *
 * Built on node:crypto alone (JWK import/export, signatures, the RFC 7638 thumbprint): the
 * proofs are plain JWS (RFC 7515), checked by the tests against jose and a real verifier.
 * Nothing here prints a private key member or a token; errors name files and options only.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign, constants, type JsonWebKey, type KeyObject } from 'node:crypto';

/** Algorithms the two commands support (core's default DPoP algorithms). */
export const DPOP_ALGORITHMS = ['ES256', 'EdDSA', 'PS256', 'RS256'] as const;
export type DpopCliAlgorithm = (typeof DPOP_ALGORITHMS)[number];

/** Bad input to a dpop command: `scopegate: <message>`, exit 2. */
export class DpopInputError extends Error {}

/** The public members of a JWK, RFC 7638 §3.2's required ones, in lexicographic order. */
const REQUIRED: Record<string, readonly string[]> = { EC: ['crv', 'kty', 'x', 'y'], OKP: ['crv', 'kty', 'x'], RSA: ['e', 'kty', 'n'] };

/** The public key of a JWK: its required members only (no `d`, no `alg`, `kid` or `use`). */
export function publicJwk(jwk: JsonWebKey): JsonWebKey {
  const members = REQUIRED[String(jwk.kty)];
  if (!members) throw new DpopInputError(`unsupported key type ${JSON.stringify(jwk.kty)}`);
  const out: Record<string, unknown> = {};
  for (const m of members) out[m] = (jwk as Record<string, unknown>)[m];
  return out as JsonWebKey;
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url): the `jkt` a token's `cnf` names. */
export function jwkThumbprint(jwk: JsonWebKey): string {
  const pub = publicJwk(jwk);
  // JSON.stringify keeps insertion order: publicJwk inserts the members sorted.
  return createHash('sha256').update(JSON.stringify(pub)).digest('base64url');
}

/** A new key pair: the private JWK (with `alg`) and its public key's thumbprint. */
export function generateDpopKey(alg: DpopCliAlgorithm): { privateJwk: JsonWebKey & { alg: string }; jkt: string } {
  const { privateKey } =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  const { kty, ...rest } = jwk;
  return { privateJwk: { kty, ...rest, alg }, jkt: jwkThumbprint(jwk) };
}

/** A private signing key read from a JWK file, with the algorithm it signs with. */
export interface DpopSigningKey {
  readonly alg: DpopCliAlgorithm;
  readonly key: KeyObject;
  /** The public part, for the proof's `jwk` header. */
  readonly jwk: JsonWebKey;
}

/**
 * Read a private JWK (as `dpop-key` writes it). Its `alg` names the algorithm; without one, an
 * EC P-256 key signs ES256 and an Ed25519 key EdDSA (an RSA key needs `alg`: RS256 or PS256).
 */
export function readSigningKey(file: string, text: string): DpopSigningKey {
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch {
    throw new DpopInputError(`${file}: not a JSON Web Key (invalid JSON)`);
  }
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) throw new DpopInputError(`${file}: not a JSON Web Key (expected a JSON object)`);
  const k = jwk as Record<string, unknown>;
  if (typeof k.kty !== 'string' || !(k.kty in REQUIRED)) throw new DpopInputError(`${file}: not an EC, OKP or RSA JSON Web Key (kty ${JSON.stringify(typeof k.kty === 'string' ? k.kty.slice(0, 16) : k.kty ?? null)})`);
  if (typeof k.d !== 'string') throw new DpopInputError(`${file}: not a private key (no "d" member): a proof is signed with the private JWK that dpop-key wrote`);
  let alg = k.alg;
  if (alg === undefined) {
    if (k.kty === 'EC' && k.crv === 'P-256') alg = 'ES256';
    else if (k.kty === 'OKP' && k.crv === 'Ed25519') alg = 'EdDSA';
    else throw new DpopInputError(`${file}: the key has no "alg" member (${DPOP_ALGORITHMS.join(', ')})`);
  }
  if (typeof alg !== 'string' || !(DPOP_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new DpopInputError(`${file}: unknown algorithm ${JSON.stringify(typeof alg === 'string' ? alg.slice(0, 16) : alg)} (one of ${DPOP_ALGORITHMS.join(', ')})`);
  }
  const fits = alg === 'ES256' ? k.kty === 'EC' && k.crv === 'P-256' : alg === 'EdDSA' ? k.kty === 'OKP' && k.crv === 'Ed25519' : k.kty === 'RSA';
  if (!fits) throw new DpopInputError(`${file}: a ${String(k.kty)}${typeof k.crv === 'string' ? ` ${k.crv.slice(0, 16)}` : ''} key cannot sign ${alg}`);
  if (k.use !== undefined && k.use !== 'sig') throw new DpopInputError(`${file}: the key's "use" is not "sig"`);
  if (k.key_ops !== undefined && !(Array.isArray(k.key_ops) && k.key_ops.includes('sign'))) throw new DpopInputError(`${file}: the key's "key_ops" does not allow "sign"`);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch {
    throw new DpopInputError(`${file}: not a valid private ${String(k.kty)} key`);
  }
  if (key.type !== 'private') throw new DpopInputError(`${file}: not a private key`);
  if (k.kty === 'RSA' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new DpopInputError(`${file}: an RSA key must have at least 2048 bits`);
  return { alg: alg as DpopCliAlgorithm, key, jwk: publicJwk(createPublicKey(key).export({ format: 'jwk' })) };
}

/** What a proof says. */
export interface ProofRequest {
  /** HTTP method, as sent (`htm`). */
  readonly method: string;
  /** The request URL: `htu` is it without query and fragment. */
  readonly url: string;
  /** The access token the request carries (`ath`), if any. */
  readonly token?: string;
  /** The server's nonce (`DPoP-Nonce`), if any. */
  readonly nonce?: string;
}

/** RFC 9110 §5.6.2 token: an HTTP method. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** RFC 9449 §4.2 / §8: NQCHAR (printable ASCII but `"` and `\`). */
const NONCE = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** The `htu` of a URL: scheme, host, port and path — no userinfo, query or fragment. Never echoes the URL (it may hold secrets). */
export function htuOf(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new DpopInputError('--url must be an absolute http:// or https:// URL (it does not parse as a URL)');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new DpopInputError(`--url must be an http:// or https:// URL (got a ${JSON.stringify(u.protocol.slice(0, 16))} URL)`);
  if (u.username !== '' || u.password !== '') throw new DpopInputError('--url must not carry a user name or password');
  return `${u.protocol}//${u.host}${u.pathname}`;
}

/** Sign a DPoP proof (RFC 9449 §4.2) for one request with `signer`; the compact JWS. */
export function signProof(signer: DpopSigningKey, request: ProofRequest, now: number = Date.now()): string {
  if (!TOKEN.test(request.method)) throw new DpopInputError('--method must be an HTTP method (an RFC 9110 token, e.g. GET)');
  const htu = htuOf(request.url);
  if (request.nonce !== undefined && !NONCE.test(request.nonce)) throw new DpopInputError('--nonce must be printable ASCII without spaces, quotes or backslashes (the DPoP-Nonce value)');
  const header = { typ: 'dpop+jwt', alg: signer.alg, jwk: signer.jwk };
  const payload: Record<string, unknown> = { jti: randomUUID(), htm: request.method, htu, iat: Math.floor(now / 1000) };
  if (request.token !== undefined) payload.ath = createHash('sha256').update(request.token).digest('base64url');
  if (request.nonce !== undefined) payload.nonce = request.nonce;
  const input = `${b64(header)}.${b64(payload)}`;
  const data = Buffer.from(input, 'ascii');
  const signature =
    signer.alg === 'ES256'
      ? sign('sha256', data, { key: signer.key, dsaEncoding: 'ieee-p1363' })
      : signer.alg === 'EdDSA'
        ? sign(null, data, signer.key)
        : signer.alg === 'PS256'
          ? sign('sha256', data, { key: signer.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
          : sign('sha256', data, signer.key);
  return `${input}.${signature.toString('base64url')}`;
}

/**
 * The access token from a `--token-file`'s text: trimmed, a leading `DPoP ` or `Bearer ` scheme
 * dropped. Must be one token (no spaces); never echoed.
 */
export function tokenFromText(source: string, text: string): string {
  const token = text.trim().replace(/^(DPoP|Bearer)\s+/i, '');
  if (token === '') throw new DpopInputError(`${source}: no access token`);
  if (!/^[\x21-\x7E]+$/.test(token)) throw new DpopInputError(`${source}: not one access token (spaces or non-ASCII characters)`);
  return token;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
