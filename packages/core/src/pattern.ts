/** Flattened path-to-regexp tokens and their split into path segments. */

/** A token of a flattened alternative (no groups left). */
export type FlatToken =
  | { readonly type: 'text'; readonly value: string }
  | { readonly type: 'param'; readonly name: string }
  | { readonly type: 'wildcard'; readonly name: string };

/** Join adjacent text tokens (flattening `/a{b}` gives two); the regexp is the same. */
export function mergeText(tokens: readonly FlatToken[]): FlatToken[] {
  const out: FlatToken[] = [];
  for (const t of tokens) {
    const last = out[out.length - 1];
    if (t.type === 'text' && last && last.type === 'text') out[out.length - 1] = { type: 'text', value: last.value + t.value };
    else if (t.type !== 'text' || t.value !== '') out.push(t);
  }
  return out;
}

/** A path segment of an alternative: the tokens between two `/`. */
type Segment = FlatToken[];

/**
 * Split an alternative at `/`. `lead` holds what stands before the first `/` (empty for every
 * pattern Express can route, which all start with `/`).
 */
export function splitSegments(tokens: readonly FlatToken[]): { lead: Segment; segments: Segment[] } {
  const lead: Segment = [];
  const segments: Segment[] = [];
  let current = lead;
  for (const t of tokens) {
    if (t.type !== 'text') {
      current.push(t);
      continue;
    }
    const parts = t.value.split('/');
    for (let i = 0; i < parts.length; i++) {
      if (i > 0) segments.push((current = []));
      if (parts[i]) current.push({ type: 'text', value: parts[i]! });
    }
  }
  return { lead, segments };
}

