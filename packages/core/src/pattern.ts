/** Patterns: parsed by path-to-regexp, flattened into alternatives, split into path segments. */
import { parse, pathToRegexp, PathError, TokenData } from 'path-to-regexp';
import type { Token } from 'path-to-regexp';
import { RouteConfigError, type RuleLocation } from './errors';

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

/** Parse with path-to-regexp and call `emit` for each alternative, in path-to-regexp's order. */
export function flattenPattern(path: string, where: RuleLocation, emit: (tokens: FlatToken[], altIndex: number) => void): void {
  let data: TokenData;
  try {
    data = parse(path);
    // Let path-to-regexp judge the whole pattern too (e.g. "Missing text before" a capture,
    // or more than 256 alternatives), so what compiles here is what Express accepts.
    pathToRegexp(data);
  } catch (err) {
    const message = err instanceof PathError || err instanceof TypeError ? err.message : String(err);
    throw new RouteConfigError('ERR_INVALID_PATTERN', `invalid pattern: ${message}`, where);
  }
  let count = 0;
  const walk = (tokens: readonly Token[], index: number, acc: FlatToken[], done: (acc: FlatToken[]) => void): void => {
    while (index < tokens.length) {
      const token = tokens[index++]!;
      if (token.type === 'group') {
        const len = acc.length;
        const rest = index;
        walk(token.tokens, 0, acc, (seq) => walk(tokens, rest, seq, done));
        acc.length = len;
        continue;
      }
      acc.push(token.type === 'text' ? { type: 'text', value: token.value } : { type: token.type, name: token.name });
    }
    done(acc);
  };
  walk(data.tokens, 0, [], (acc) => emit(mergeText(acc), count++));
}
