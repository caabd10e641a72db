'use strict';
/**
 * Token verification: jose `jwtVerify` vs scopegate's verifier on a cache miss (cache off) and a
 * cache hit, for HS256, ES256, RS256; and the cache under a flood of distinct tokens.
 */
const { createVerifier } = require('@scopegate/core');
const { timeAsync } = require('../lib/measure');

async function keys(jose) {
  const secret = new TextEncoder().encode('bench-secret-that-is-long-enough-32b!');
  const out = { HS256: { sign: secret, verify: secret, options: { secret: 'bench-secret-that-is-long-enough-32b!' } } };
  for (const alg of ['ES256', 'RS256']) {
    const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true });
    out[alg] = { sign: privateKey, verify: publicKey, options: { publicKey: await jose.exportSPKI(publicKey) } };
  }
  return out;
}

async function run({ quick }) {
  const jose = require('jose');
  const k = await keys(jose);
  const mint = (alg, claims = {}) =>
    new jose.SignJWT({ scope: 'environment.users.read', ...claims }).setProtectedHeader({ alg }).setIssuedAt().setExpirationTime('2h').sign(k[alg].sign);
  const rows = [];
  for (const alg of ['HS256', 'ES256', 'RS256']) {
    const token = await mint(alg);
    const miss = createVerifier({ algorithms: [alg], ...k[alg].options, cache: false });
    const hit = createVerifier({ algorithms: [alg], ...k[alg].options });
    await hit.verify(token);
    const opts = { samples: quick ? 7 : 25, batch: alg === 'RS256' ? 100 : 300 };
    const jwtVerify = await timeAsync(() => jose.jwtVerify(token, k[alg].verify, { algorithms: [alg] }), opts);
    const missT = await timeAsync(() => miss.verify(token), opts);
    const hitT = await timeAsync(() => hit.verify(token), { samples: quick ? 7 : 25, batch: 20000 });
    rows.push({ alg, ns: { 'jose jwtVerify': jwtVerify.median, 'scopegate miss': missT.median, 'scopegate hit': hitT.median } });
  }

  // DPoP: a cached DPoP-bound token with a fresh proof each request (the proof is never cached),
  // beside jose's jwtVerify of the same proof with its key imported: what a proof check adds.
  const dpop = [];
  const { createHash, randomUUID } = require('node:crypto');
  for (const alg of ['ES256', 'EdDSA', 'RS256']) {
    const client = await jose.generateKeyPair(alg, { extractable: true });
    const jwk = await jose.exportJWK(client.publicKey);
    const token = await mint('ES256', { cnf: { jkt: await jose.calculateJwkThumbprint(jwk) } });
    const verifier = createVerifier({ algorithms: ['ES256'], ...k.ES256.options, dpop: { origins: 'https://api.example.com', algorithms: [alg] } });
    const ath = createHash('sha256').update(token).digest('base64url');
    const batch = alg === 'RS256' ? 50 : 200;
    const samples = quick ? 7 : 25;
    // Proofs signed ahead (signing is the client's cost): one per timed call, warm-up included.
    const count = (samples + 2) * batch * 2;
    const proofs = [];
    for (let i = 0; i < count; i++) {
      proofs.push(await new jose.SignJWT({ htm: 'GET', htu: 'https://api.example.com/users/1', ath, jti: randomUUID() }).setProtectedHeader({ alg, typ: 'dpop+jwt', jwk }).setIssuedAt().sign(client.privateKey));
    }
    let next = 0;
    const proof = { target: '/users/1', get dpop() { return proofs[next++]; } };
    await verifier.check(token, 'DPoP', 'GET', { target: '/users/1', dpop: proofs[proofs.length - 1] }); // the token is cached from here on
    const check = await timeAsync(() => verifier.check(token, 'DPoP', 'GET', proof), { samples, batch });
    let j = 0;
    const plain = await timeAsync(() => jose.jwtVerify(proofs[j++ % proofs.length], client.publicKey, { algorithms: [alg], typ: 'dpop+jwt' }), { samples, batch });
    dpop.push({ alg, ns: { 'scopegate DPoP check (cached token)': check.median, 'jose jwtVerify of the proof': plain.median }, hits: verifier.cacheStats.hits });
  }

  // A flood of distinct tokens: the cache stays at its bound and the heap does not grow with it.
  const flood = quick ? 50_000 : 1_000_000;
  const verifier = createVerifier({ algorithms: ['HS256'], secret: 'bench-secret-that-is-long-enough-32b!', cache: { max: 10_000 } });
  const secret = k.HS256.sign;
  const header = jose.base64url.encode(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const { createHmac } = require('node:crypto');
  const exp = Math.floor(Date.now() / 1000) + 7200;
  // Tokens signed with node:crypto directly: signing 1,000,000 with jose would dominate the run.
  const tokenAt = (i) => {
    const body = `${header}.${jose.base64url.encode(JSON.stringify({ scope: 'a', jti: `t${i}`, exp }))}`;
    return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
  };
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = process.hrtime.bigint();
  for (let i = 0; i < flood; i++) await verifier.verify(tokenAt(i));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  global.gc?.();
  const heapAfter = process.memoryUsage().heapUsed;
  // Replay: the most recent 10,000 tokens are cached (hits), older ones were evicted (misses).
  const before = verifier.cacheStats;
  for (let i = flood - 5_000; i < flood; i++) await verifier.verify(tokenAt(i));
  for (let i = 0; i < 5_000; i++) await verifier.verify(tokenAt(i));
  const after = verifier.cacheStats;
  const replayHits = after.hits - before.hits;
  return {
    rows,
    dpop,
    flood: {
      tokens: flood,
      seconds,
      cacheSize: after.size,
      heapGrowthMB: (heapAfter - heapBefore) / 2 ** 20,
      gcExposed: typeof global.gc === 'function',
      replayHitRate: replayHits / 10_000,
    },
  };
}

module.exports = { run };
