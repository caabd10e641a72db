/**
 * The JOSE types the public API names (claims, header, keys), declared here rather than imported
 * from jose: jose 6 is an ES module only, and importing it in our CommonJS declarations fails
 * type-checking in CommonJS apps under `module: node16` (TS1479: an ES module cannot be imported
 * with `require`). These have jose 6's members with jose 6's types, so values pass both ways
 * (checked by `packages/core/test/jose-types.test.ts`, and on the packed packages by
 * `pack-install.test.ts`). Types only: this module has no runtime content.
 */

/** JWS `alg` values (jose's `JWSAlgorithm`); any other string is accepted too. */
export type JWSAlgorithm =
  | 'HS256' | 'HS384' | 'HS512'
  | 'RS256' | 'RS384' | 'RS512'
  | 'PS256' | 'PS384' | 'PS512'
  | 'ES256' | 'ES384' | 'ES512'
  | 'EdDSA' | 'Ed25519'
  | 'ML-DSA-44' | 'ML-DSA-65' | 'ML-DSA-87'
  | (string & {});

/**
 * A JSON Web Key (RFC 7517), as jose's `JWK`. A type alias, not an interface, so that it is
 * assignable to the `JsonWebKey` of `@types/node` and `lib.dom` (which have an index signature).
 */
export type JWK = {
  /** Key type: `EC`, `RSA`, `OKP`, `AKP`, `oct`. */
  kty?: 'EC' | 'RSA' | 'OKP' | 'AKP' | 'oct' | (string & {});
  /** The algorithm the key is meant for. */
  alg?: string;
  key_ops?: string[];
  ext?: boolean;
  use?: 'sig' | 'enc' | (string & {});
  x5c?: string[];
  x5t?: string;
  'x5t#S256'?: string;
  x5u?: string;
  kid?: string;
  crv?: string;
  d?: string;
  dp?: string;
  dq?: string;
  e?: string;
  k?: string;
  n?: string;
  p?: string;
  q?: string;
  qi?: string;
  x?: string;
  y?: string;
  pub?: string;
  priv?: string;
  oth?: Array<{ d?: string; r?: string; t?: string }>;
};

/** A JSON Web Key Set (RFC 7517, section 5), as jose's `JSONWebKeySet`. */
export interface JSONWebKeySet {
  keys: JWK[];
}

/** The claims of a JWT (RFC 7519), as jose's `JWTPayload`: the registered claims, and any other. */
export interface JWTPayload {
  /** Issuer. */
  iss?: string;
  /** Subject. */
  sub?: string;
  /** Audience. */
  aud?: string | string[];
  /** JWT ID. */
  jti?: string;
  /** Not before, seconds since the epoch. */
  nbf?: number;
  /** Expiry, seconds since the epoch. */
  exp?: number;
  /** Issued at, seconds since the epoch. */
  iat?: number;
  /** Any other claim. */
  [propName: string]: unknown;
}

/** A JWS header (RFC 7515), as jose's `JWSHeaderParameters`. */
export interface JWSHeaderParameters {
  alg?: JWSAlgorithm;
  kid?: string;
  x5t?: string;
  x5c?: string[];
  x5u?: string;
  jku?: string;
  /** An embedded public key (no private members). */
  jwk?: Omit<JWK, 'd' | 'dp' | 'dq' | 'k' | 'p' | 'q' | 'qi' | 'priv' | 'oth'>;
  typ?: string;
  cty?: string;
  b64?: boolean;
  crit?: string[];
  /** Any other header parameter. */
  [propName: string]: unknown;
}

/** The protected header of a verified JWT, as jose's `JWTHeaderParameters`: `alg` is always there. */
export interface JWTHeaderParameters extends JWSHeaderParameters {
  alg: JWSAlgorithm;
}

/** A token as a key lookup sees it (jose's `FlattenedJWSInput`): nothing in it is verified yet. */
export interface FlattenedJWSInput {
  header?: JWSHeaderParameters;
  payload: string | Uint8Array;
  protected?: string;
  signature: string;
}

/** A key a lookup returns: a Web Crypto `CryptoKey` or a Node `KeyObject` (both have `type`), a JWK, or a secret. */
export type VerificationKey = { readonly type: string } | JWK | Uint8Array;

/**
 * A key resolver, as jose's `jwtVerify` takes one (jose's `JWTVerifyGetKey`): called with the
 * token's protected header and parts, before anything is verified.
 */
export type KeyLookup = (protectedHeader: JWTHeaderParameters, token: FlattenedJWSInput) => Promise<VerificationKey> | VerificationKey;
