/**
 * DPoP (RFC 9449) for the command line: a client key pair (`scopegate dpop-key`) and proofs
 * signed with it (`scopegate dpop-proof`), to try a DPoP-protected API with curl.
 *
 * Keys, thumbprints and signatures with jose, as the verifier checks them. Nothing here prints a
 * private key member or a token; errors name files and options only.
 */
import { createHash, createPrivateKey, randomUUID, type JsonWebKey } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';

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

/** A new key pair: the private JWK (with `alg`) and its public key's RFC 7638 thumbprint, the `jkt` a token's `cnf` names. */
export async function generateDpopKey(alg: DpopCliAlgorithm): Promise<{ privateJwk: JsonWebKey & { alg: string }; jkt: string }> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  const { kty, ...rest } = (await exportJWK(privateKey)) as JsonWebKey;
  return { privateJwk: { kty, ...rest, alg }, jkt: await calculateJwkThumbprint(publicJwk({ kty, ...rest }) as never, 'sha256') };
}

/** A private signing key read from a JWK file, with the algorithm it signs with. */
export interface DpopSigningKey {
  readonly alg: DpopCliAlgorithm;
  /** jose's imported key (typed opaquely: the declarations import nothing from jose, which is ESM-only). */
  readonly key: object;
  /** The public part, for the proof's `jwk` header. */
  readonly jwk: JsonWebKey;
}

/**
 * Read a private JWK (as `dpop-key` writes it). Its `alg` names the algorithm; without one, an
 * EC P-256 key signs ES256 and an Ed25519 key EdDSA (an RSA key needs `alg`: RS256 or PS256).
 */
export async function readSigningKey(file: string, text: string): Promise<DpopSigningKey> {
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
  // Checked with node:crypto first: it says why a key is bad (not private, too short) without echoing it.
  try {
    const probe = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
    if (probe.type !== 'private') throw new Error('not private');
    if (k.kty === 'RSA' && (probe.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new DpopInputError(`${file}: an RSA key must have at least 2048 bits`);
  } catch (err) {
    throw err instanceof DpopInputError ? err : new DpopInputError(`${file}: not a valid private ${String(k.kty)} key`);
  }
  let key;
  try {
    key = await importJWK({ ...(jwk as Record<string, unknown>), alg } as never, alg as string);
  } catch {
    throw new DpopInputError(`${file}: not a valid private ${String(k.kty)} key`);
  }
  return { alg: alg as DpopCliAlgorithm, key, jwk: publicJwk(jwk as JsonWebKey) };
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
export async function signProof(signer: DpopSigningKey, request: ProofRequest, now: number = Date.now()): Promise<string> {
  if (!TOKEN.test(request.method)) throw new DpopInputError('--method must be an HTTP method (an RFC 9110 token, e.g. GET)');
  const htu = htuOf(request.url);
  if (request.nonce !== undefined && !NONCE.test(request.nonce)) throw new DpopInputError('--nonce must be printable ASCII without spaces, quotes or backslashes (the DPoP-Nonce value)');
  const payload: Record<string, unknown> = { jti: randomUUID(), htm: request.method, htu, iat: Math.floor(now / 1000) };
  if (request.token !== undefined) payload.ath = createHash('sha256').update(request.token).digest('base64url');
  if (request.nonce !== undefined) payload.nonce = request.nonce;
  return new SignJWT(payload).setProtectedHeader({ typ: 'dpop+jwt', alg: signer.alg, jwk: signer.jwk as never }).sign(signer.key as Parameters<SignJWT['sign']>[0]);
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

