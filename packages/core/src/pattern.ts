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

/** path-to-regexp refuses a pattern with more alternatives than this ("Too many path combinations"). */
const MAX_ALTERNATIVES = 256;

/**
 * Parse with path-to-regexp and call `emit` for each alternative, in path-to-regexp's order.
 * What compiles here is what Express accepts: path-to-regexp's `parse` judges the syntax, and
 * the two errors only its regexp build raises — a capture right after another with no text
 * between ("Missing text before"), more than 256 alternatives — are detected here and then
 * reported by path-to-regexp itself, with its own message. Why not build the regexp every time:
 * on 10,000 rules that build was a sixth of compiling, for patterns that almost never fail.
 */
/**
 * The pattern Express routes with: without strict routing, Express 5's router strips every
 * trailing `/` from a route's path before compiling it (router's `loosen`: `/admin/` serves
 * `/admin` and `/admin/`, never `/admin//`), and the table must read the rule the same way, or
 * the gate and the router would disagree on which rule a request belongs to. `/` stays `/`; a
 * path of slashes only becomes the empty pattern, as in Express (it matches `/`, not `//`).
 */
export function routedPath(path: string, strict: boolean): string {
  return strict || path === '/' ? path : path.replace(/\/+$/, '');
}

export function flattenPattern(path: string, where: RuleLocation, emit: (tokens: FlatToken[], altIndex: number) => void): void {
  const fail = (err: unknown): never => {
    const message = err instanceof PathError || err instanceof TypeError ? err.message : String(err);
    throw new RouteConfigError('ERR_INVALID_PATTERN', `invalid pattern: ${message}`, where);
  };
  let data: TokenData;
  try {
    data = parse(path);
  } catch (err) {
    const hint = express4Hint(path);
    if (hint === null) return fail(err);
    const message = err instanceof PathError || err instanceof TypeError ? err.message : String(err);
    throw new RouteConfigError('ERR_INVALID_PATTERN', `invalid pattern: ${message}. ${hint}`, where);
  }
  const alternatives: FlatToken[][] = [];
  let suspect = false;
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
  try {
    walk(data.tokens, 0, [], (acc) => {
      if (alternatives.length === MAX_ALTERNATIVES) throw new TooMany();
      const merged = mergeText(acc);
      for (let i = 1; i < merged.length; i++) if (merged[i]!.type !== 'text' && merged[i - 1]!.type !== 'text') suspect = true;
      alternatives.push(merged);
    });
  } catch (err) {
    if (!(err instanceof TooMany)) throw err;
    suspect = true;
  }
  if (suspect) {
    try {
      pathToRegexp(data); // throws path-to-regexp's own error
    } catch (err) {
      fail(err);
    }
  }
  alternatives.forEach((tokens, i) => emit(tokens, i));
}

class TooMany extends Error {}

const NAME = '[A-Za-z_$][\\w$]*';
const PARAM_REGEXP = new RegExp(`:(${NAME})\\(([^)]*)\\)`);
const OPTIONAL_PARAM = new RegExp(`(/?):(${NAME})\\?`);
const REPEATED_PARAM = new RegExp(`:(${NAME})[*+]`);
const BARE_GROUP = /(?<!\\)\([^)]*\)/;
const BARE_STAR = /(?<!\\)\*(?![A-Za-z_$"])/g;

/**
 * For a pattern path-to-regexp 8 refuses, written in Express 4's syntax (path-to-regexp 0.1):
 * the Express 5 spelling, to append to its error. `null` when nothing Express-4-like is found.
 */
export function express4Hint(path: string): string | null {
  let m: RegExpExecArray | null;
  if ((m = PARAM_REGEXP.exec(path))) return `Express 4 syntax: write "${m[0]}" as ":${m[1]}" (Express 5 takes no inline regexps: check the value in the handler)`;
  if ((m = OPTIONAL_PARAM.exec(path))) return `Express 4 syntax: write "${m[0]}" as "{${m[1]}:${m[2]}}" (an optional param in Express 5)`;
  if ((m = REPEATED_PARAM.exec(path))) return `Express 4 syntax: write "${m[0]}" as "*${m[1]}" (a wildcard in Express 5)`;
  if ((m = BARE_GROUP.exec(path))) return `Express 4 syntax: replace "${m[0]}" with a param (":name") or a wildcard ("*name") (Express 5 takes no inline regexps)`;
  if (new RegExp(BARE_STAR.source).test(path)) return `Express 4 syntax: write "${path}" as "${path.replace(BARE_STAR, '*path')}" (a wildcard needs a name in Express 5)`;
  return null;
}
