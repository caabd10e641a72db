/**
 * Canonical compact JWS: three base64url parts in their one spelling. base64url leaves 2 or 4
 * bits unused in a part's last character (when its length is 2 or 3 mod 4), so 4 or 16
 * characters decode to the same bytes; `=` padding is not base64url at all. A decoder accepts
 * them all, and so would verify every spelling of one signature. Only the spelling an encoder
 * makes is accepted here, so a token has one string, and one cache entry.
 */

/** Value of each base64url character, -1 for any other. */
const VALUE = new Int8Array(128).fill(-1);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('').forEach((c, i) => (VALUE[c.charCodeAt(0)] = i));

/** `header.payload.signature`, each part canonical base64url (the payload may not be empty here: a JWT has claims). */
export function isCanonicalCompactJws(token: string): boolean {
  let start = 0;
  for (let part = 0; part < 3; part++) {
    const end = part < 2 ? token.indexOf('.', start) : token.length;
    if (end === -1 || !isCanonicalPart(token, start, end)) return false;
    start = end + 1;
  }
  return true;
}

function isCanonicalPart(text: string, from: number, to: number): boolean {
  const n = to - from;
  if (n === 0 || n % 4 === 1) return false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || VALUE[c]! < 0) return false;
  }
  // The bits the last character carries past the last whole byte must be zero.
  const last = VALUE[text.charCodeAt(to - 1)]!;
  if (n % 4 === 2) return (last & 0x0f) === 0;
  if (n % 4 === 3) return (last & 0x03) === 0;
  return true;
}
