/**
 * `scopegate dpop-key` and `scopegate dpop-proof` through the built binary (real child
 * processes): keys, proofs checked with jose and accepted by a real core verifier, usage errors.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { run, scratch } from './support/run-cli';
import { calculateJwkThumbprint, EmbeddedJWK, exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWK } from 'jose';
import { authorizePathname, compileRoutes, createVerifier } from '@scopegate/core';

const { dir, file } = scratch('scopegate-dpop-');

const ALGS = ['ES256', 'EdDSA', 'PS256', 'RS256'] as const;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi'];
const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');
/** Not a real token: only its hash (`ath`) may ever appear. */
const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ0b2tlbi1zZWNyZXQtNzcifQ.c2lnbmF0dXJl';

/** A key made by `dpop-key --out`, with the jkt it printed. */
const keys = new Map<string, { path: string; jwk: JWK; jkt: string; stderr: string }>();
async function keyFor(alg: (typeof ALGS)[number]) {
  const known = keys.get(alg);
  if (known) return known;
  const path = join(dir, `${alg}.jwk.json`);
  const r = await run('dpop-key', '--alg', alg, '--out', path);
  expect([r.code, r.stdout]).toEqual([0, '']);
  const jkt = /^wrote the private key to .* \(mode 0600\)\njkt: ([A-Za-z0-9_-]{43})\n$/.exec(r.stderr)?.[1];
  expect(jkt).toBeDefined();
  const key = { path, jwk: JSON.parse(readFileSync(path, 'utf8')) as JWK, jkt: jkt!, stderr: r.stderr };
  keys.set(alg, key);
  return key;
}

const publicPart = (jwk: JWK): JWK => Object.fromEntries(Object.entries(jwk).filter(([k]) => !PRIVATE_MEMBERS.includes(k) && k !== 'alg')) as JWK;

describe('dpop-key', () => {
  test.each(ALGS)('--alg %s --out: a private JWK with alg, mode 0600; jkt on stderr is the RFC 7638 thumbprint of its public part', async (alg) => {
    const { path, jwk, jkt, stderr } = await keyFor(alg);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(jwk.alg).toBe(alg);
    expect(typeof jwk.d).toBe('string');
    expect(jwk.kty).toBe(alg === 'ES256' ? 'EC' : alg === 'EdDSA' ? 'OKP' : 'RSA');
    expect(jkt).toBe(await calculateJwkThumbprint(publicPart(jwk)));
    expect(stderr).not.toContain(jwk.d!); // the private key only in the file
  });

  test('default ES256 on stdout: the private JWK (JSON), stderr only the jkt line', async () => {
    const r = await run('dpop-key');
    expect(r.code).toBe(0);
    const jwk = JSON.parse(r.stdout) as JWK;
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', d: expect.any(String) });
    expect(r.stderr).toBe(`jkt: ${await calculateJwkThumbprint({ kty: 'EC', crv: jwk.crv!, x: jwk.x!, y: jwk.y! })}\n`);
  });

  test('each run makes a new key', async () => {
    const [a, b] = await Promise.all([run('dpop-key'), run('dpop-key')]);
    expect(a.stderr).not.toBe(b.stderr);
  });

  test('--out never replaces an existing file (exit 2, the file untouched)', async () => {
    const path = file('existing.json', 'keep me');
    const r = await run('dpop-key', '--out', path);
    expect([r.code, r.stdout, r.stderr]).toEqual([2, '', `scopegate: ${path}: already exists (not overwritten)\n`]);
    expect(readFileSync(path, 'utf8')).toBe('keep me');
  });

  test('an unknown --alg: exit 2, nothing on stdout', async () => {
    const r = await run('dpop-key', '--alg', 'HS256');
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toMatch(/argument 'HS256' is invalid\. Allowed choices are ES256, EdDSA, PS256, RS256/);
  });
});

describe('dpop-proof', () => {
  test.each(ALGS)('%s: a proof jose verifies with its embedded key: typ, alg, public jwk only, htm, htu without query and fragment, ath, nonce, jti, iat', async (alg) => {
    const { path, jwk } = await keyFor(alg);
    const before = Math.floor(Date.now() / 1000);
    const r = await run('dpop-proof', '--key', path, '--method', 'POST', '--url', 'https://API.example.com:443/users/1?debug=1#frag', '--token', TOKEN, '--nonce', 'eyJ7S_zG.eyJH0-Z.HX4w-7v');
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/); // one line: $(…) in a curl command
    const proof = r.stdout.trimEnd();
    const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: [alg] });
    expect(protectedHeader.typ).toBe('dpop+jwt');
    expect(protectedHeader.alg).toBe(alg);
    expect(protectedHeader.jwk).toEqual(publicPart(jwk));
    for (const m of PRIVATE_MEMBERS) expect(protectedHeader.jwk).not.toHaveProperty(m);
    expect(payload).toMatchObject({ htm: 'POST', htu: 'https://api.example.com/users/1', ath: sha256(TOKEN), nonce: 'eyJ7S_zG.eyJH0-Z.HX4w-7v' });
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(payload.iat).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(Object.keys(payload).sort()).toEqual(['ath', 'htm', 'htu', 'iat', 'jti', 'nonce']);
    expect(r.stdout).not.toContain(TOKEN);
  });

  test('without a token: no ath; without a nonce: no nonce; each proof has its own jti', async () => {
    const { path } = await keyFor('ES256');
    const [a, b] = await Promise.all([run('dpop-proof', '-k', path, '-m', 'GET', '-u', 'http://localhost:8080/x'), run('dpop-proof', '-k', path, '-m', 'GET', '-u', 'http://localhost:8080/x')]);
    const pa = (await jwtVerify(a.stdout.trim(), EmbeddedJWK)).payload;
    const pb = (await jwtVerify(b.stdout.trim(), EmbeddedJWK)).payload;
    expect(Object.keys(pa).sort()).toEqual(['htm', 'htu', 'iat', 'jti']);
    expect(pa.htu).toBe('http://localhost:8080/x');
    expect(pa.jti).not.toBe(pb.jti);
  });

  test('--token-file: the token read from a file (trimmed, a leading "DPoP " or "Bearer " dropped), never printed', async () => {
    const { path } = await keyFor('EdDSA');
    for (const text of [`${TOKEN}\n`, `Bearer ${TOKEN}\n`, `DPoP ${TOKEN}`]) {
      const r = await run('dpop-proof', '--key', path, '--method', 'GET', '--url', 'https://api.example.com/', '--token-file', file('token.txt', text));
      expect([r.code, r.stderr]).toEqual([0, '']);
      expect((await jwtVerify(r.stdout.trim(), EmbeddedJWK)).payload.ath).toBe(sha256(TOKEN));
    }
  });

  describe('accepted by a real core verifier, for a token bound (cnf.jkt) to the key dpop-key made', () => {
    const ORIGIN = 'https://api.example.com';
    const table = compileRoutes([{ method: 'GET', path: '/users/:id', scopes: ['users.read'] }]);

    test.each(ALGS)('%s', async (alg) => {
      const { path, jkt } = await keyFor(alg);
      const issuer = await generateKeyPair('ES256');
      const verifier = createVerifier({ algorithms: ['ES256'], publicKey: await exportJWK(issuer.publicKey), dpop: { origins: ORIGIN } });
      const token = await new SignJWT({ scope: 'users.read', cnf: { jkt } }).setProtectedHeader({ alg: 'ES256' }).setIssuedAt().setExpirationTime('5m').sign(issuer.privateKey);
      const tokenFile = file(`token-${alg}.jwt`, `${token}\n`);
      const decide = async (proof: string, target = '/users/1?full=1') => {
        try {
          const r = await authorizePathname(verifier, table, 'GET', target.split('?')[0]!, `DPoP ${token}`, { realm: 'api' }, { target, dpop: proof });
          return `allowed ${String(r.scheme)}`;
        } catch (err) {
          return `${(err as { status: number }).status} ${(err as { code: string }).code}`;
        }
      };
      const r = await run('dpop-proof', '--key', path, '--method', 'GET', '--url', `${ORIGIN}/users/1?full=1`, '--token-file', tokenFile);
      expect([r.code, r.stderr]).toEqual([0, '']);
      const proof = r.stdout.trim();
      expect(await decide(proof)).toBe('allowed DPoP');
      expect(await decide(proof)).toBe('401 ERR_DPOP_PROOF_INVALID'); // used once
      // Another URL, or no token in the proof: refused.
      const other = await run('dpop-proof', '--key', path, '--method', 'GET', '--url', `${ORIGIN}/users/2`, '--token-file', tokenFile);
      expect(await decide(other.stdout.trim())).toBe('401 ERR_DPOP_PROOF_INVALID');
      const noAth = await run('dpop-proof', '--key', path, '--method', 'GET', '--url', `${ORIGIN}/users/1`);
      expect(await decide(noAth.stdout.trim())).toBe('401 ERR_DPOP_PROOF_INVALID');
    });
  });

  describe('usage errors: exit 2, one line on stderr, nothing on stdout, no key material or token', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'jwk' });
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'jwk' });
    const ed = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
    const secrets: string[] = [TOKEN, String(p384.d), String(rsa1024.d), String(ed.d)];
    const keyFile = (name: string, value: unknown) => file(name, typeof value === 'string' ? value : JSON.stringify(value));
    let es256: string;
    beforeAll(async () => {
      es256 = (await keyFor('ES256')).path;
      secrets.push(String((await keyFor('ES256')).jwk.d));
    });
    const proofArgs = (over: Record<string, string | null>) => {
      const opts: Record<string, string | null> = { '--key': es256, '--method': 'GET', '--url': 'https://api.example.com/x', '--token': TOKEN, ...over };
      return ['dpop-proof', ...Object.entries(opts).flatMap(([k, v]) => (v === null ? [] : [k, v]))];
    };

    test.each<[string, () => Record<string, string | null>, RegExp]>([
      ['an ftp: URL', () => ({ '--url': 'ftp://api.example.com/x' }), /^scopegate: --url must be an http:\/\/ or https:\/\/ URL \(got a "ftp:" URL\)$/],
      ['a file: URL', () => ({ '--url': 'file:///etc/passwd' }), /^scopegate: --url must be an http:\/\/ or https:\/\/ URL/],
      ['a relative URL', () => ({ '--url': '/users/1' }), /^scopegate: --url must be an absolute http:\/\/ or https:\/\/ URL/],
      ['a URL with a password', () => ({ '--url': 'https://user:hunter2@api.example.com/x' }), /^scopegate: --url must not carry a user name or password$/],
      ['a public JWK (no d)', () => ({ '--key': keyFile('public.json', { kty: 'EC', crv: 'P-256', x: 'a', y: 'b' }) }), /: not a private key \(no "d" member\)/],
      ['a key file that is not JSON', () => ({ '--key': keyFile('garbage.json', '-----BEGIN PRIVATE KEY-----') }), /: not a JSON Web Key \(invalid JSON\)$/],
      ['a JSON array', () => ({ '--key': keyFile('array.json', [1]) }), /: not a JSON Web Key \(expected a JSON object\)$/],
      ['a symmetric key', () => ({ '--key': keyFile('oct.json', { kty: 'oct', k: 'c2VjcmV0', alg: 'HS256' }) }), /: not an EC, OKP or RSA JSON Web Key \(kty "oct"\)$/],
      ['a missing key file', () => ({ '--key': join(dir, 'nope.json') }), /nope\.json: no such file$/],
      ['an unknown algorithm (HS256 on an EC key)', () => ({ '--key': keyFile('hs.json', { ...p384, alg: 'HS256' }) }), /: unknown algorithm "HS256" \(one of ES256, EdDSA, PS256, RS256\)$/],
      ['an unsupported algorithm (ES384)', () => ({ '--key': keyFile('es384.json', { ...p384, alg: 'ES384' }) }), /: unknown algorithm "ES384"/],
      ['a P-384 key without alg', () => ({ '--key': keyFile('p384.json', p384) }), /: the key has no "alg" member/],
      ['an alg the key cannot sign', () => ({ '--key': keyFile('mismatch.json', { ...ed, alg: 'ES256' }) }), /: a OKP Ed25519 key cannot sign ES256$/],
      ['an RSA key under 2048 bits', () => ({ '--key': keyFile('rsa1024.json', { ...rsa1024, alg: 'RS256' }) }), /: an RSA key must have at least 2048 bits$/],
      ['a broken private key', () => ({ '--key': keyFile('broken.json', { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA', d: 'AA', alg: 'ES256' }) }), /: not a valid private EC key$/],
      ['a key not for signing', () => ({ '--key': keyFile('enc.json', { ...ed, alg: 'EdDSA', use: 'enc' }) }), /: the key's "use" is not "sig"$/],
      ['--token and --token-file', () => ({ '--token-file': file('t.txt', TOKEN) }), /^scopegate: give --token or --token-file, not both$/],
      ['an empty token file', () => ({ '--token': null, '--token-file': file('empty.txt', '\n') }), /empty\.txt: no access token$/],
      ['a token with spaces', () => ({ '--token': `${TOKEN} ${TOKEN}` }), /^scopegate: --token: not one access token/],
      ['a method that is not a token', () => ({ '--method': 'GE T' }), /^scopegate: --method must be an HTTP method/],
      ['a nonce with a quote', () => ({ '--nonce': 'a"b' }), /^scopegate: --nonce must be printable ASCII/],
      ['no --url', () => ({ '--url': null }), /^error: required option '-u, --url <url>' not specified$/],
      ['no --key', () => ({ '--key': null }), /^error: required option '-k, --key <file>' not specified$/],
    ])('%s', async (_name, over, message) => {
      const r = await run(...proofArgs(over()));
      expect([r.code, r.stdout]).toEqual([2, '']);
      expect(r.stderr.split('\n')[0]).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stderr.replace(/\n\(run with --help for usage\)\n$/, '\n').split('\n')).toHaveLength(2); // one line
      for (const s of secrets) expect(r.stderr).not.toContain(s);
      expect(r.stderr).not.toContain('hunter2');
    });
  });

  test('--help lists both commands', async () => {
    const top = await run('--help');
    expect(top.stdout).toMatch(/dpop-key[\s\S]*dpop-proof/);
    for (const cmd of ['dpop-key', 'dpop-proof']) {
      const r = await run(cmd, '--help');
      expect([r.code, r.stderr]).toEqual([0, '']);
      expect(r.stdout).toMatch(new RegExp(`^Usage: scopegate ${cmd}`));
    }
  });
});
