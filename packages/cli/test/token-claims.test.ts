/** The claims `scopegate check` decides with, without a child process. */
import { claimsFromOptions, claimsFromTokenText, scopesFromClaims, bindingStatus, ClaimsError } from '../src/token-claims';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

test('--claim pairs: split at the first "=", a name given twice or more becomes an array in order', () => {
  expect({ ...claimsFromOptions(['environment_id=e1', 'sub=a=b', 'environment_id=e2', 'environment_id=e3', 'empty=']) }).toEqual({
    environment_id: ['e1', 'e2', 'e3'],
    sub: 'a=b',
    empty: '',
  });
});

test('a claim named __proto__ is an own claim, not a prototype', () => {
  const claims = claimsFromOptions(['__proto__=x']);
  expect(Object.keys(claims)).toEqual(['__proto__']);
  expect(Object.getPrototypeOf(claims)).toBeNull();
  const fromJson = claimsFromTokenText('c.json', '{"__proto__": {"polluted": true}, "constructor": "c"}').claims;
  expect(Object.keys(fromJson).sort()).toEqual(['__proto__', 'constructor']);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

test.each([
  ['a JWT', `${b64url({ alg: 'ES256' })}.${b64url({ environment_id: 'e1', scp: ['a'] })}.sig`, 'jwt'],
  ['a JWT after Bearer, with spaces and a newline', `  Bearer ${b64url({ alg: 'none' })}.${b64url({ environment_id: 'e1', scp: ['a'] })}.\n`, 'jwt'],
  ['a JSON object', '{ "environment_id": "e1", "scp": ["a"] }\n', 'json'],
])('%s', (_name, text, format) => {
  const read = claimsFromTokenText('t', text);
  expect([read.format, { ...read.claims }]).toEqual([format, { environment_id: 'e1', scp: ['a'] }]);
});

test.each([
  ['two parts', 'a.b'],
  ['a header that is not JSON', `${Buffer.from('nope').toString('base64url')}.${b64url({})}.s`],
  ['characters outside base64url', 'a+b.c/d.e'],
  ['an empty payload', `${b64url({ alg: 'none' })}..s`],
])('not a token: %s', (_name, text) => {
  expect(() => claimsFromTokenText('t', text)).toThrow(ClaimsError);
});

test('scopes as the verifier reads them: scope, scopes and scp, strings or arrays, united', () => {
  expect(scopesFromClaims({ scope: 'a  b', scopes: ['c', ''], scp: 'a d' })).toEqual(['a', 'b', 'c', 'd']);
  expect(scopesFromClaims({ sub: 'x' })).toEqual([]);
  expect(() => scopesFromClaims({ scp: ['a', 1] })).toThrow('the token\'s "scp" claim must be a string or an array of strings');
});

test.each<[string, Record<string, unknown> | null, boolean, string]>([
  ['equal', { tid: 't1' }, true, 'holds'],
  ['one of an array', { tid: ['t0', 't1'] }, true, 'holds'],
  ['another value', { tid: 't2' }, false, "FAILS: the token's tid claim is another value"],
  ['not in the array', { tid: ['t0', 't2'] }, false, "FAILS: the token's tid claim holds other values"],
  ['missing', { sub: 't1' }, false, 'FAILS: the token has no tid claim'],
  ['a number', { tid: 1 }, false, "FAILS: the token's tid claim is not a string or an array of strings"],
  ['an array with a number', { tid: ['t1', 2] }, false, "FAILS: the token's tid claim is not a string or an array of strings"],
  ['no token', null, false, 'not checked: no token'],
])('binding status: %s', (_name, claims, holds, why) => {
  expect(bindingStatus({ param: 'tenant', claim: 'tid' }, { tenant: 't1' }, claims)).toEqual({ holds, why });
});
