/**
 * Ambiguity check: can two rules with different requirements match the same request?
 *
 * Express dispatches overlapping routes by registration order. If two overlapping rules required
 * different scopes, the table's answer would hinge on that order, and an app registering its
 * routes in another order would run a handler under the other rule's scopes. So the compiler
 * refuses such tables; overlaps with equal requirements are harmless and allowed.
 *
 * Two steps:
 * 1. Candidates: walk the trie along each alternative's segments (a static segment meets the same
 *    static child and any param child, a param meets every child, a regexp tail meets everything
 *    below). This finds every alternative that could share a path, in time that follows the
 *    overlap, not the table size.
 * 2. Proof: intersect the two patterns as automata over an abstract alphabet, where a `:param` is
 *    "one or more characters other than `/`" and a `*wildcard` "one or more characters". Both are
 *    supersets of what path-to-regexp really matches, so the check never misses an overlap; it may
 *    rarely report one for exotic patterns whose captures exclude each other's text.
 */
import { foldCase, foldChar } from './case-fold';
import type { Alternative, TrieEnd, TrieNode } from './trie';
import { requirementKey as ruleRequirementKey } from './rule-validation';
import { splitSegments, type FlatToken } from './pattern';
import type { ResolvedCompileOptions } from './types';

export function findAmbiguity(
  root: TrieNode,
  alternatives: readonly Alternative[],
  opts: ResolvedCompileOptions,
): [Alternative, Alternative] | null {
  let found: [Alternative, Alternative] | null = null;
  forEachOverlap(root, alternatives, opts, (a, b) => {
    if (requirementKey(a) === requirementKey(b)) return false;
    found = [a, b];
    return true;
  }, (a, b) => requirementKey(a) !== requirementKey(b));
  return found;
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
type Element = string | typeof SEG | typeof ANY;
const SEG = 1;
const ANY = 2;

function toElements(tokens: readonly FlatToken[], fold: boolean): Element[] {
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
  const ea = toElements(a, fold);
  const eb = toElements(b, fold);
  const trailing = !opts.strict;
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
