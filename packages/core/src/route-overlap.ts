/**
 * Ambiguity check: can two rules with different requirements match the same request, in a way
 * routers would not agree on?
 *
 * Express dispatches overlapping routes by registration order, and so does the table: the first
 * rule whose pattern matches answers. Overlaps with equal requirements are harmless. Between
 * rules with different requirements one overlap is allowed, the one every router agrees on: the
 * earlier rule's pattern is contained in the later one's (`/users/me` before `/users/:id`), so
 * the earlier, more specific rule answers every request both match (Express by registration
 * order, find-my-way and the like because the static part is more specific) and the later one
 * answers the rest. Every other overlap is refused: a partial one (each matches requests the
 * other does not: the answer hinges on registration order alone), and general before specific
 * (the later rule's pattern is contained in the earlier's: it is never reached, and an app that
 * registers the specific route first runs its handler under the other rule's requirements).
 *
 * Three steps:
 * 1. Candidates: walk the trie along each alternative's segments (a static segment meets the same
 *    static child and any param child, a param meets every child, a regexp tail meets everything
 *    below). This finds every alternative that could share a path, in time that follows the
 *    overlap, not the table size.
 * 2. Proof of overlap: intersect the two patterns as automata over an abstract alphabet, where a
 *    `:param` is "one or more characters other than `/`" and a `*wildcard` "one or more
 *    characters". Both are supersets of what path-to-regexp really matches, so the check never
 *    misses an overlap; it may rarely report one for exotic patterns whose captures exclude each
 *    other's text.
 * 3. Only for overlaps with different requirements: containment (`OverlapJudge`), decided on the
 *    same automata where the containing pattern's automaton is exact (see `exactAbstraction`),
 *    and by path-to-regexp's own regexp where the contained alternative is plain text. What
 *    cannot be proven contained is not: the error is kept (never a wrong "contained").
 */
import { pathToRegexp, TokenData } from 'path-to-regexp';
import type { Token } from 'path-to-regexp';
import { foldCase, foldChar } from './case-fold';
import type { Alternative, TrieEnd, TrieNode } from './trie';
import { requirementKey as ruleRequirementKey } from './rule-validation';
import { splitSegments, type FlatToken } from './pattern';
import type { ResolvedCompileOptions } from './types';

/**
 * How an overlap between an alternative `a` of an earlier rule and an alternative `b` of a later
 * rule (methods overlapping, patterns intersecting) stands.
 */
export type OverlapVerdict =
  /** Equal requirements (scopes, and bindings by the part of the path they read): harmless. */
  | 'same'
  /**
   * Specific first: `a` is contained in the later rule's pattern (every request it matches, the
   * later rule matches too), and the later rule is not contained in the earlier's. The earlier
   * rule answers every request both match; allowed.
   */
  | 'contained'
  /** General first: the later rule's whole pattern is contained in the earlier rule's, so it is never reached (for these methods). */
  | 'unreachable'
  /** Neither pattern contains the other: which rule answers depends on registration order alone. */
  | 'partial';

/** An overlap `compileRoutes` refuses. */
export interface Ambiguity {
  /** The alternative of the earlier rule. */
  readonly a: Alternative;
  /** The alternative of the later rule. */
  readonly b: Alternative;
  readonly verdict: 'unreachable' | 'partial';
}

/** The first overlap with different requirements that is not specific-first, or `null`. */
export function findAmbiguity(root: TrieNode, alternatives: readonly Alternative[], opts: ResolvedCompileOptions): Ambiguity | null {
  const judge = new OverlapJudge(alternatives, opts);
  let found: Ambiguity | null = null;
  forEachOverlap(
    root,
    alternatives,
    opts,
    (a, b) => {
      const verdict = judge.verdict(a, b);
      if (verdict === 'same' || verdict === 'contained') return false;
      found = { a, b, verdict };
      return true;
    },
    (a, b) => judge.key(a) !== judge.key(b),
  );
  return found;
}

/**
 * Judges overlaps (see `OverlapVerdict`), remembering what it proved: one containment proof per
 * (alternative, rule) pair, so a rule overlapping many others costs one proof each.
 */
export class OverlapJudge {
  /** Alternatives by rule index, grouped on the first containment question (most tables never ask one). */
  #byRule: Map<number, Alternative[]> | null = null;
  readonly #keys = new Map<Alternative, string>();
  /** `prio of inner alternative` → rule index → contained. */
  readonly #within = new Map<number, Map<number, boolean>>();
  readonly #alternatives: readonly Alternative[];
  readonly #opts: ResolvedCompileOptions;

  constructor(alternatives: readonly Alternative[], opts: ResolvedCompileOptions) {
    this.#alternatives = alternatives;
    this.#opts = opts;
  }

  #alternativesOf(rule: number): readonly Alternative[] {
    if (this.#byRule === null) {
      this.#byRule = new Map();
      for (const alt of this.#alternatives) {
        let list = this.#byRule.get(alt.rule.index);
        if (!list) this.#byRule.set(alt.rule.index, (list = []));
        list.push(alt);
      }
    }
    return this.#byRule.get(rule) ?? [];
  }

  /** The requirement key of an alternative (see `requirementKey`), computed once. */
  key(alt: Alternative): string {
    let key = this.#keys.get(alt);
    if (key === undefined) this.#keys.set(alt, (key = requirementKey(alt)));
    return key;
  }

  /** `a` from the earlier rule, `b` from the later one; their methods overlap and their patterns intersect. */
  verdict(a: Alternative, b: Alternative): OverlapVerdict {
    if (this.key(a) === this.key(b)) return 'same';
    if (this.ruleWithin(b.rule.index, a.rule.index)) return 'unreachable';
    return this.within(a, b.rule.index) ? 'contained' : 'partial';
  }

  /** Is every path rule `inner` matches (all its alternatives) matched by rule `outer`? Proven, or false. */
  ruleWithin(inner: number, outer: number): boolean {
    return this.#alternativesOf(inner).every((alt) => this.within(alt, outer));
  }

  /** Is every path `alt` matches also matched by rule `rule` (one of its alternatives)? Proven, or false. */
  within(alt: Alternative, rule: number): boolean {
    let byRule = this.#within.get(alt.prio);
    if (!byRule) this.#within.set(alt.prio, (byRule = new Map()));
    let result = byRule.get(rule);
    if (result === undefined) byRule.set(rule, (result = alternativeWithin(alt.tokens, this.#alternativesOf(rule).map((o) => o.tokens), this.#opts)));
    return result;
  }
}

/**
 * Is every path `inner` matches also matched by one of `outer`? Sound: true only when proven.
 * - Patterns of plain segments (each static text or one `:param`, no wildcard): segment by
 *   segment, exact (see `simpleWithin`).
 * - A plain-text `inner` (after case folding, its paths are one string, and one more slash when
 *   not strict): run through the automaton of each exact outer alternative, and through
 *   path-to-regexp's own regexp of the others: exact whatever their shape (`/files/report.pdf`
 *   within `/files/:name.:ext`).
 * - Otherwise, on the automata (`patternIncluded`) against the outer alternatives whose automaton
 *   is exact: `inner`'s automaton matches at least what `inner` does, and those outer automata
 *   exactly what their patterns do, so an inclusion there holds for the patterns.
 */
export function alternativeWithin(inner: readonly FlatToken[], outer: readonly (readonly FlatToken[])[], opts: ResolvedCompileOptions): boolean {
  if (outer.length === 0) return false;
  const fold = !opts.caseSensitive;
  const plainInner = plainSegments(inner, fold);
  if (plainInner !== null) {
    let allPlain = true;
    for (const o of outer) {
      const plainOuter = plainSegments(o, fold);
      if (plainOuter === null) allPlain = false;
      else if (simpleWithin(plainInner, plainOuter)) return true;
    }
    // One plain outer alternative that does not contain it: exactly not contained (`simpleWithin`).
    if (allPlain && outer.length === 1) return false;
  }
  const captures = inner.some((t) => t.type !== 'text');
  // Infinitely many paths (a capture) are never within finitely many (plain text only).
  if (captures && outer.every((o) => o.every((t) => t.type === 'text'))) return false;
  if (!captures) {
    const text = inner.map((t) => (t as { value: string }).value).join('');
    const paths = opts.strict ? [text] : [text, `${text}/`];
    return paths.every((path) => outer.some((o) => (exactAbstraction(o) ? acceptsText(toElements(o, fold), fold ? foldCase(path) : path, !opts.strict) : regexpOf(o, opts).test(path))));
  }
  const exact = outer.filter(exactAbstraction);
  return exact.length > 0 && patternIncluded(inner, exact, opts);
}

/**
 * The segments of a pattern whose every segment is static text (folded when `fold`) or exactly
 * one `:param` (`null`), starting with `/`; `null` for any other pattern.
 */
function plainSegments(tokens: readonly FlatToken[], fold: boolean): (string | null)[] | null {
  const cache = fold ? plainFolded : plainAsIs;
  let out = cache.get(tokens);
  if (out === undefined) cache.set(tokens, (out = computePlainSegments(tokens, fold)));
  return out;
}
const plainFolded = new WeakMap<readonly FlatToken[], (string | null)[] | null>();
const plainAsIs = new WeakMap<readonly FlatToken[], (string | null)[] | null>();

function computePlainSegments(tokens: readonly FlatToken[], fold: boolean): (string | null)[] | null {
  const { lead, segments } = splitSegments(tokens);
  if (lead.length > 0) return null;
  const out: (string | null)[] = [];
  for (const seg of segments) {
    if (seg.length === 1 && seg[0]!.type === 'param') out.push(null);
    else if (seg.every((t) => t.type === 'text')) {
      const text = seg.map((t) => (t as { value: string }).value).join('');
      out.push(fold ? foldCase(text) : text);
    } else return null;
  }
  return out;
}

/**
 * Plain patterns: `inner` within `outer` iff they have as many segments and each of `outer`'s is
 * a param or `inner`'s same text (a param never matches an empty segment, so `''` only within
 * `''`). Exact, trailing slash or not: a path of such a pattern has exactly as many `/` as it has
 * segments (one more with the optional trailing slash), so no outer of another length holds
 * inner's paths, and for the same length a segment where outer is text and inner a param or
 * other text gives a path of inner's outside outer.
 */
function simpleWithin(inner: readonly (string | null)[], outer: readonly (string | null)[]): boolean {
  if (inner.length !== outer.length) return false;
  for (let i = 0; i < inner.length; i++) {
    const o = outer[i];
    if (o === null ? inner[i] === '' : inner[i] !== o) return false;
  }
  return true;
}

/** Path-to-regexp's regexp of an alternative (what Express matches), built once per table's options and token list. */
const regexps = new WeakMap<ResolvedCompileOptions, WeakMap<readonly FlatToken[], RegExp>>();
function regexpOf(tokens: readonly FlatToken[], opts: ResolvedCompileOptions): RegExp {
  let byTokens = regexps.get(opts);
  if (byTokens === undefined) regexps.set(opts, (byTokens = new WeakMap()));
  let re = byTokens.get(tokens);
  if (re === undefined) {
    re = pathToRegexp(new TokenData(tokens as Token[]), { sensitive: opts.caseSensitive, trailing: !opts.strict, end: true }).regexp;
    byTokens.set(tokens, re);
  }
  return re;
}

/** Does the automaton of `els` accept `text` (already folded when the table is case-insensitive)? */
function acceptsText(els: readonly Element[], text: string, trailing: boolean): boolean {
  let states = closure(0, els);
  for (let i = 0; i < text.length && states.length; i++) {
    const next = new Set<number>();
    for (const st of states) {
      const n = step(st, text[i]!, els, trailing);
      if (n >= 0) for (const x of closure(n, els)) next.add(x);
    }
    states = [...next];
  }
  return states.some((st) => accepting(st, els));
}

/**
 * Call `visit(a, b)` for each pair of alternatives of different rules (a's rule first) whose
 * methods overlap and whose patterns can match the same path; stop when it returns true.
 * `worth(a, b)`, when given, skips pairs before the (costlier) automaton proof.
 */
export function forEachOverlap(
  root: TrieNode,
  alternatives: readonly Alternative[],
  opts: ResolvedCompileOptions,
  visit: (a: Alternative, b: Alternative) => boolean,
  worth: (a: Alternative, b: Alternative) => boolean = () => true,
): void {
  for (const a of alternatives) {
    const candidates = new Set<TrieEnd>();
    const { lead, segments } = splitSegments(a.tokens);
    if (lead.length > 0) collectAll(root, candidates);
    else query(root, segments, 0, opts, candidates);
    for (const c of candidates) {
      const b = c.alt;
      if (b.rule.index <= a.rule.index) continue; // each pair once; same rule never conflicts
      if (!methodsOverlap(a.methods, b.methods) || !worth(a, b)) continue;
      if (patternsIntersect(a.tokens, b.tokens, opts) && visit(a, b)) return;
    }
  }
}

/**
 * What a request matched by `alt` must satisfy, as a canonical key: the rule's scopes, and each
 * binding by the part of the path it reads — the segment index of a param alone in its segment
 * with no wildcard before it (the same index is the same path segment in any alternative a path
 * matches). A bound param anywhere else (after a wildcard, which may span segments) is keyed to
 * its rule, so it never counts as equal to another rule's: erring on the side of a conflict.
 * So `/a/:x/c` and `/a/b/:x`, both binding `x`, differ (on `/a/b/c` one reads `b`, the other
 * `c`), while `/t/:tenant/x` and `/t/:org/x`, binding each to the same claim, agree.
 */
export function requirementKey(alt: Alternative): string {
  const rule = alt.rule;
  if (rule.bindings.length === 0) return ruleRequirementKey(rule);
  const places = paramPlaces(alt.tokens);
  const bound = rule.bindings.map((b) => {
    const place = places.get(b.param);
    return `${place === undefined ? `rule ${rule.index} :${b.param}` : `segment ${place}`}=${b.claim}`;
  });
  return `${ruleRequirementKey({ ...rule, bindings: [] })}\0${bound.sort().join('\0')}`;
}

/**
 * Segment index of each param whose value a match takes from one fixed segment: alone in its
 * segment, no wildcard before it. A name may stand several times in a pattern; a match keeps
 * the *last* occurrence's value (path-to-regexp, Express and our lookup alike), so the last one
 * decides, and if that one is anywhere else the name has no place (keyed to its rule).
 */
function paramPlaces(tokens: readonly FlatToken[]): Map<string, number> {
  const out = new Map<string, number>();
  const { lead, segments } = splitSegments(tokens);
  let shifted = lead.length > 0; // after a wildcard, or before the first '/': no fixed index
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const alone = !shifted && seg.length === 1 && seg[0]!.type === 'param';
    for (const t of seg) {
      if (t.type === 'text') continue;
      if (alone) out.set(t.name, i);
      else out.delete(t.name);
    }
    if (seg.some((t) => t.type === 'wildcard')) shifted = true;
  }
  for (const t of lead) if (t.type !== 'text') out.delete(t.name);
  return out;
}

export function methodsOverlap(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  for (const m of a) if (b.has(m)) return true;
  return false;
}

function query(
  node: TrieNode,
  segments: readonly FlatToken[][],
  i: number,
  opts: ResolvedCompileOptions,
  out: Set<TrieEnd>,
): void {
  for (const tail of node.tails) out.add(tail);
  if (i === segments.length) {
    for (const end of node.allEnds) out.add(end);
    // A path one trailing slash longer can end at the '' child.
    const slash = node.statics?.get('');
    if (slash && !opts.strict) for (const end of slash.allEnds) out.add(end);
    return;
  }
  const seg = segments[i]!;
  const isStatic = seg.every((t) => t.type === 'text');
  const isParam = seg.length === 1 && seg[0]!.type === 'param';
  if (!isStatic && !isParam) {
    collectAll(node, out);
    return;
  }
  if (isStatic) {
    const text = seg.map((t) => (t as { value: string }).value).join('');
    if (text === '' && i === segments.length - 1 && !opts.strict) {
      // This alternative ends in '/', so it meets what ends here plus the optional slash.
      for (const end of node.allEnds) out.add(end);
    }
    const child = node.statics?.get(opts.caseSensitive ? text : foldCase(text));
    if (child) query(child, segments, i + 1, opts, out);
    if (text !== '' && node.param) query(node.param, segments, i + 1, opts, out);
    return;
  }
  if (node.statics) {
    for (const [key, child] of node.statics) if (key !== '') query(child, segments, i + 1, opts, out);
  }
  if (node.param) query(node.param, segments, i + 1, opts, out);
}

function collectAll(node: TrieNode, out: Set<TrieEnd>): void {
  for (const end of node.allEnds) out.add(end);
  if (node.statics) for (const child of node.statics.values()) collectAll(child, out);
  if (node.param) collectAll(node.param, out);
}

/** Element of a pattern automaton: a literal code unit, a param, or a wildcard. */
export type Element = string | typeof SEG | typeof ANY;
const SEG = 1;
const ANY = 2;

export function toElements(tokens: readonly FlatToken[], fold: boolean): Element[] {
  const out: Element[] = [];
  for (const t of tokens) {
    if (t.type === 'param') out.push(SEG);
    else if (t.type === 'wildcard') out.push(ANY);
    else for (let i = 0; i < t.value.length; i++) out.push(fold ? foldChar(t.value[i]!) : t.value[i]!);
  }
  return out;
}

/**
 * Do the languages of two alternatives (each with one optional trailing `/` unless strict)
 * intersect? Breadth-first search over pairs of automaton states. A state of a pattern with n
 * elements is 2k ("before element k", 2n = end), 2k+1 ("inside element k", a param or wildcard
 * that has consumed at least one character), or 2n+1 ("end, then the optional slash").
 */
export function patternsIntersect(a: readonly FlatToken[], b: readonly FlatToken[], opts: ResolvedCompileOptions): boolean {
  const fold = !opts.caseSensitive;
  const pa = plainSegments(a, fold);
  const pb = pa && plainSegments(b, fold);
  if (pa && pb) return plainIntersect(pa, pb, !opts.strict);
  const ea = toElements(a, fold);
  const eb = toElements(b, fold);
  const trailing = !opts.strict;
  // Plain text on one side: its one path (and one more slash) run through the other's automaton.
  for (const [x, y] of [[ea, eb], [eb, ea]] as const) {
    if (x.every((e) => typeof e === 'string')) {
      const text = x.join('');
      return acceptsText(y, text, trailing) || (trailing && acceptsText(y, `${text}/`, trailing));
    }
  }
  return automataIntersect(ea, eb, trailing);
}

/** `patternsIntersect` without its shortcuts: the product automaton, breadth first. */
export function automataIntersect(ea: readonly Element[], eb: readonly Element[], trailing: boolean): boolean {
  // The alphabet: every literal of either pattern, '/', and one character that is none of them.
  const alphabet = new Set<string>(['/']);
  for (const e of [...ea, ...eb]) if (typeof e === 'string') alphabet.add(e);
  let other = 0x21;
  while (alphabet.has(String.fromCharCode(other))) other++;
  alphabet.add(String.fromCharCode(other));
  const letters = [...alphabet];

  const width = 2 * eb.length + 2;
  const seen = new Set<number>();
  const queue: number[] = [];
  const push = (sa: number, sb: number): void => {
    for (const x of closure(sa, ea)) {
      for (const y of closure(sb, eb)) {
        const key = x * width + y;
        if (!seen.has(key)) {
          seen.add(key);
          queue.push(key);
        }
      }
    }
  };
  push(0, 0);
  while (queue.length) {
    const key = queue.shift()!;
    const sa = Math.floor(key / width);
    const sb = key % width;
    if (accepting(sa, ea) && accepting(sb, eb)) return true;
    for (const ch of letters) {
      const na = step(sa, ch, ea, trailing);
      if (na < 0) continue;
      const nb = step(sb, ch, eb, trailing);
      if (nb >= 0) push(na, nb);
    }
  }
  return false;
}

/**
 * Plain patterns (see `plainSegments`) intersect, exactly: a path of one has as many `/` as it
 * has segments (one more with the optional trailing slash). So either as many segments, each pair
 * able to hold the same text (a param holds any but `''`); or, with the trailing slash, one more
 * segment in the longer, an empty one at its end (`/a` and `/a/` share `/a/`).
 */
function plainIntersect(a: readonly (string | null)[], b: readonly (string | null)[], trailing: boolean): boolean {
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  if (long.length !== short.length && !(trailing && long.length === short.length + 1 && long[long.length - 1] === '')) return false;
  for (let i = 0; i < short.length; i++) {
    const x = short[i]!;
    const y = long[i]!;
    if (x === null ? y === '' : y === null ? x === '' : x !== y) return false;
  }
  return true;
}

function closure(state: number, els: readonly Element[]): number[] {
  // "Inside element k" may stop there and stand before element k + 1.
  return state % 2 === 1 && (state - 1) / 2 < els.length ? [state, state + 1] : [state];
}

function accepting(state: number, els: readonly Element[]): boolean {
  return state === 2 * els.length || state === 2 * els.length + 1;
}

/** Next state on `ch`, or -1. Deterministic per state: each state has at most one move. */
function step(state: number, ch: string, els: readonly Element[], trailing: boolean): number {
  const n = els.length;
  if (state === 2 * n) return trailing && ch === '/' ? 2 * n + 1 : -1;
  if (state === 2 * n + 1) return -1;
  const k = state >> 1;
  const el = els[k]!;
  if (state % 2 === 0) {
    if (typeof el === 'string') return el === ch ? state + 2 : -1;
    return el === ANY || ch !== '/' ? state + 1 : -1;
  }
  return el === ANY || ch !== '/' ? state : -1;
}

/**
 * Is every path `inner` matches also matched by one of `outer`? Decided on the same automata
 * (subset construction over `outer`). Exact when params stand alone in their capture segment and
 * there is at most one wildcard (see `exactAbstraction`); callers check that first.
 */
export function patternIncluded(inner: readonly FlatToken[], outer: readonly (readonly FlatToken[])[], opts: ResolvedCompileOptions): boolean {
  const fold = !opts.caseSensitive;
  const trailing = !opts.strict;
  const ei = toElements(inner, fold);
  const eo = outer.map((t) => toElements(t, fold));
  const alphabet = new Set<string>(['/']);
  for (const e of [...ei, ...eo.flat()]) if (typeof e === 'string') alphabet.add(e);
  let other = 0x21;
  while (alphabet.has(String.fromCharCode(other))) other++;
  alphabet.add(String.fromCharCode(other));
  const letters = [...alphabet];

  // A state of the outer union: "k:s" = state s of outer pattern k.
  const closeSet = (states: Iterable<[number, number]>): [number, number][] => {
    const out = new Map<string, [number, number]>();
    for (const [k, s] of states) for (const x of closure(s, eo[k]!)) out.set(`${k}:${x}`, [k, x]);
    return [...out.values()].sort((p, q) => p[0] - q[0] || p[1] - q[1]);
  };
  const setKey = (set: [number, number][]) => set.map(([k, s]) => `${k}:${s}`).join(',');
  const start = closeSet(eo.map((_, k) => [k, 0] as [number, number]));
  const seen = new Set<string>();
  const queue: [number, [number, number][]][] = [];
  for (const si of closure(0, ei)) {
    seen.add(`${si}|${setKey(start)}`);
    queue.push([si, start]);
  }
  while (queue.length) {
    const [si, set] = queue.shift()!;
    if (accepting(si, ei) && !set.some(([k, s]) => accepting(s, eo[k]!))) return false;
    for (const ch of letters) {
      const ni = step(si, ch, ei, trailing);
      if (ni < 0) continue;
      const next: [number, number][] = [];
      for (const [k, s] of set) {
        const n = step(s, ch, eo[k]!, trailing);
        if (n >= 0) next.push([k, n]);
      }
      const closed = closeSet(next);
      for (const x of closure(ni, ei)) {
        const key = `${x}|${setKey(closed)}`;
        if (!seen.has(key)) {
          seen.add(key);
          queue.push([x, closed]);
        }
      }
    }
  }
  return true;
}

/**
 * Whether the automaton is exactly path-to-regexp's language for this alternative: each capture
 * is the only capture of its segment (so a param is `[^/]+`), and there is at most one wildcard
 * (so it is `[^]+`). Mixed segments like `:a-:b` exclude text and are only over-approximated.
 */
export function exactAbstraction(tokens: readonly FlatToken[]): boolean {
  let wildcards = 0;
  let capturesInSegment = 0;
  for (const t of tokens) {
    if (t.type === 'text') {
      if (t.value.includes('/')) capturesInSegment = 0;
      continue;
    }
    if (t.type === 'wildcard') wildcards++;
    if (++capturesInSegment > 1) return false;
  }
  return wildcards <= 1;
}
