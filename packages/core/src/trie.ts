/**
 * The segment trie of a compiled table: its node types, building it (insert, then finish), and
 * the lookup walk. Plain data, no generated code.
 *
 * How it matches Express's language without a regexp per rule:
 * - Each alternative (a pattern with each optional group taken or not) is split at `/` into
 *   segments. A segment of plain text is a `static` node, a segment that is exactly one `:param`
 *   is a `param` node. The first segment holding anything else (a wildcard, or text and params
 *   mixed, like `:file.:ext`) and all that follows it becomes a `tail`: a regexp built by
 *   path-to-regexp from just those tokens. Because a static or param segment always consumes
 *   exactly one path segment, the walk fixes where the tail starts, and the tail's regexp equals
 *   the corresponding part of Express's regexp.
 * - Lookup walks the trie segment by segment (hash lookup on static children, then the param
 *   child) and keeps the candidate with the lowest priority = (rule index, alternative index):
 *   exactly the route Express would dispatch to, the first in registration order. Not
 *   static-first: where a static and a param child both fit a segment, both are walked (and every
 *   tail tried), so `/users/:id` listed before `/users/me` wins `/users/me`, and so does a
 *   `:a.:b`, `{/x}` or `*rest` rule listed before a static one; only subtrees whose best priority
 *   cannot win are pruned, so the cost follows the path's length, not the table's size.
 */
import { pathToRegexp, TokenData } from 'path-to-regexp';
import type { Token } from 'path-to-regexp';
import { foldCase, foldChar } from './case-fold';
import { mergeText, splitSegments, type FlatToken } from './pattern';
import type { CompiledRule, LookupResult, ResolvedCompileOptions } from './types';

/** One way a pattern can match: a rule's pattern with each optional group taken or not. */
export interface Alternative {
  readonly rule: CompiledRule;
  /** Position among the rule's alternatives, in path-to-regexp's order. */
  readonly altIndex: number;
  /** Lower wins: the route Express would dispatch to. */
  readonly prio: number;
  readonly tokens: readonly FlatToken[];
  /** Methods this alternative answers, HEAD added for GET rules. */
  readonly methods: ReadonlySet<string>;
}

/** Where an alternative ends in the trie. */
export interface TrieEnd {
  readonly alt: Alternative;
  /** Names of the param segments walked to get here, in order. */
  readonly paramNames: readonly string[];
}

/** An alternative whose remainder is matched by a regexp from this node on. */
export interface TrieTail extends TrieEnd {
  readonly regexp: RegExp;
  readonly keys: readonly { readonly name: string; readonly wildcard: boolean }[];
  /** The remainder's source pattern, for the debug print. */
  readonly source: string;
}

/** A trie node: plain data, no code. */
export interface TrieNode {
  /** Text of the segment as first written (static), or `:name` of the first param rule. */
  readonly label: string;
  readonly type: 'root' | 'static' | 'param';
  /** Static children by (folded, when case-insensitive) segment text. */
  statics: Map<string, TrieNode> | null;
  /**
   * Two lookup forms, chosen per node in `finishNode`. For up to SMALL_FANOUT children with at
   * most MAX_SAME_LENGTH of any one length: these arrays, compared in place, keys of the
   * segment's length only — at most 3 native compares whatever the spelling, and no slice of the
   * segment made (on the Dynamic table, where nodes have a handful of children, a Map lookup on a
   * slice costs more than those compares). `byLength` is null for a node that uses the other form.
   */
  staticKeys: string[] | null;
  staticNodes: TrieNode[] | null;
  /** Indexes into staticKeys by key length: a segment is compared only with keys as long. */
  byLength: (number[] | undefined)[] | null;
  /** The text of each of staticKeys as the rule wrote it: compared first, natively. */
  staticTexts: string[] | null;
  /**
   * For more children, instead: `statics` itself, asked with the segment (folded when the table is
   * case-insensitive), and first `exact`, the children by their text as written, so a request
   * spelled as its rule costs no folding. Why a Map and not a hash of our own: V8 hashes and
   * compares the sliced segment natively, a few times faster than a JavaScript loop over its
   * characters, and its cost does not depend on how names are spelled (a hash of our own that read
   * three characters put shared-prefix names into a few buckets: 14× slower than find-my-way).
   */
  exact: Map<string, TrieNode> | null;
  param: TrieNode | null;
  tails: TrieTail[];
  /** Best end per method (lowest priority): the one lookups return. */
  ends: Map<string, TrieEnd>;
  /** The same for the common methods, by METHOD_ID: an array read instead of a hash lookup. */
  endsById: (TrieEnd | undefined)[];
  /** Every end, for the overlap check and the debug print. */
  allEnds: TrieEnd[];
  /** Lowest priority anywhere in this subtree, to prune lookups. */
  minPrio: number;
}

const MAX_PRIO = Number.MAX_SAFE_INTEGER;
/** Param offsets preallocated per lookup (two per param segment); more grow the arrays. */
const SPAN_SLOTS = 64;
/** Methods whose ends are kept in an array (index = id); others use the Map. */
const METHOD_ID = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
/** Up to this many static children are compared in place; more are looked up in `statics`. */
const SMALL_FANOUT = 32;
/** …as long as at most this many of them have the same length. */
const MAX_SAME_LENGTH = 3;
/** path-to-regexp refuses more than 256 alternatives per pattern, so this spacing never collides. */

/** Shared by every node that has none of its own (never written: insert and addTail replace them first). */
const NO_TAILS: TrieTail[] = [];
const NO_ALL_ENDS: TrieEnd[] = [];
const NO_ENDS = new Map<string, TrieEnd>();
/** A packed array of the same length for every node keeps the hot read monomorphic. */
const NO_ENDS_BY_ID: (TrieEnd | undefined)[] = new Array<TrieEnd | undefined>(METHOD_ID.length).fill(undefined);

/** Build a trie: `newNode('root', '')`, `insert` every alternative, then `finishTrie`. */
export function newNode(type: TrieNode['type'], label: string): TrieNode {
  // Most nodes of a large table end nothing: they share these empty lists until something is
  // added (a table of 10,000 rules has some 13,000 nodes; their own empty lists were garbage to
  // collect, a third of compiling).
  return { type, label, statics: null, staticKeys: null, staticNodes: null, byLength: null, staticTexts: null, exact: null, param: null, tails: NO_TAILS, ends: NO_ENDS, endsById: NO_ENDS_BY_ID, allEnds: NO_ALL_ENDS, minPrio: MAX_PRIO };
}

export function insert(root: TrieNode, alt: Alternative, opts: ResolvedCompileOptions): void {
  const { lead, segments } = splitSegments(alt.tokens);
  const paramNames: string[] = [];
  let node = root;
  if (lead.length > 0) return addTail(root, alt, paramNames, alt.tokens, opts);
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg.every((t) => t.type === 'text')) {
      const text = flat(seg.map((t) => (t as { value: string }).value).join(''));
      const key = opts.caseSensitive ? text : flat(foldCase(text));
      node.statics ??= new Map();
      let child = node.statics.get(key);
      if (!child) node.statics.set(key, (child = newNode('static', text)));
      node = child;
      continue;
    }
    if (seg.length === 1 && seg[0]!.type === 'param') {
      node.param ??= newNode('param', `:${seg[0]!.name}`);
      paramNames.push(seg[0]!.name);
      node = node.param;
      continue;
    }
    // Mixed text and params, or a wildcard: the rest is matched by a regexp from here.
    const rest: FlatToken[] = [];
    for (const s of segments.slice(i)) rest.push({ type: 'text', value: '/' }, ...s);
    return addTail(node, alt, paramNames, mergeText(rest), opts);
  }
  const end: TrieEnd = { alt, paramNames };
  if (node.allEnds === NO_ALL_ENDS) node.allEnds = [];
  node.allEnds.push(end);
  if (node.ends === NO_ENDS) node.ends = new Map();
  if (node.endsById === NO_ENDS_BY_ID) node.endsById = new Array<TrieEnd | undefined>(METHOD_ID.length).fill(undefined);
  for (const method of alt.methods) {
    const best = node.ends.get(method);
    if (!best || best.alt.prio > alt.prio) {
      node.ends.set(method, end);
      const id = METHOD_ID.indexOf(method);
      if (id !== -1) node.endsById[id] = end;
    }
  }
}

function addTail(node: TrieNode, alt: Alternative, paramNames: string[], tokens: readonly FlatToken[], opts: ResolvedCompileOptions): void {
  const data = new TokenData(tokens as Token[], alt.rule.path);
  const { regexp, keys } = pathToRegexp(data, { sensitive: opts.caseSensitive, trailing: !opts.strict, end: true });
  const tail: TrieTail = {
    alt,
    paramNames,
    regexp,
    keys: keys.map((k) => ({ name: k.name, wildcard: k.type === 'wildcard' })),
    source: tokens.map((t) => (t.type === 'text' ? t.value : t.type === 'param' ? `:${t.name}` : `*${t.name}`)).join(''),
  };
  if (node.tails === NO_TAILS) node.tails = [];
  node.tails.push(tail);
  node.tails.sort((a, b) => a.alt.prio - b.alt.prio);
  if (node.allEnds === NO_ALL_ENDS) node.allEnds = [];
  node.allEnds.push(tail);
}

/** After insertion: small static fan-outs become arrays (see `walk`). */
function finishNode(node: TrieNode, fold: boolean): void {
  if (node.statics) {
    const keys = [...node.statics.keys()];
    // Few children, and few of each length: compared in place. Otherwise a Map lookup is cheaper.
    const lengths = new Map<number, number>();
    for (const key of keys) lengths.set(key.length, (lengths.get(key.length) ?? 0) + 1);
    if (keys.length > SMALL_FANOUT || [...lengths.values()].some((n) => n > MAX_SAME_LENGTH)) {
      if (fold) node.exact = new Map([...node.statics.values()].map((child) => [child.label, child]));
    } else {
      node.staticKeys = keys;
      node.staticNodes = [...node.statics.values()];
      node.staticTexts = node.staticNodes.map((child) => child.label);
      const byLength: (number[] | undefined)[] = (node.byLength = []);
      keys.forEach((key, i) => (byLength[key.length] ??= []).push(i));
      for (let i = 0; i < byLength.length; i++) byLength[i] ??= undefined;
    }
  }
  if (node.statics) for (const child of node.statics.values()) finishNode(child, fold);
  if (node.param) finishNode(node.param, fold);
}

function computeMinPrio(node: TrieNode): number {
  let min = MAX_PRIO;
  for (const end of node.allEnds) min = Math.min(min, end.alt.prio);
  if (node.statics) for (const child of node.statics.values()) min = Math.min(min, computeMinPrio(child));
  if (node.param) min = Math.min(min, computeMinPrio(node.param));
  node.minPrio = min;
  return min;
}

/** After every insert: subtree priorities for pruning, and the lookup indexes of each node. */
/** `fold`: the table is case-insensitive (keys were folded, and lookups fold). */
export function finishTrie(root: TrieNode, fold: boolean): void {
  computeMinPrio(root);
  finishNode(root, fold);
}

/**
 * The lookup: the end Express would dispatch `method path` to, with decoded params. `s` is
 * scratch state reused across lookups (they are synchronous and never re-enter).
 */
export function lookupTrie(root: TrieNode, s: Search, method: string, path: string): LookupResult {
  if (typeof method !== 'string' || typeof path !== 'string') return NO_ROUTE;
  // Like Express's matchers, take the pathname as given: `?` here is part of the path.
  s.path = path;
  // Node hands methods over upper-case already; only other spellings pay for `toUpperCase()`.
  const id = methodId(method);
  s.method = id !== -1 ? method : method.toUpperCase();
  s.methodId = id !== -1 ? id : methodId(s.method);
  s.bestPrio = MAX_PRIO;
  s.best = null;
  s.bestExec = null;
  s.bestDepth = 0;
  if (path.length === 0 || path.charCodeAt(0) === 0x2f /* / */) walk(root, 0, 0, s);
  else tryTails(root, 0, 0, s);
  const best = s.best as TrieEnd | null;
  s.path = '';
  if (best === null) return NO_ROUTE;
  return finish(path, best, s);
}

const NO_ROUTE: LookupResult = Object.freeze({ kind: 'no-route' });

/** Index in METHOD_ID, without a scan: the hot path does this on every lookup. */
function methodId(method: string): number {
  switch (method) {
    case 'GET':
      return 0;
    case 'HEAD':
      return 1;
    case 'POST':
      return 2;
    case 'PUT':
      return 3;
    case 'PATCH':
      return 4;
    case 'DELETE':
      return 5;
    case 'OPTIONS':
      return 6;
    default:
      return -1;
  }
}

/**
 * State of one lookup. Param segment offsets live in one flat array: [start0, end0, start1, …];
 * `bestSpans` keeps those of the best candidate so far.
 */
export class Search {
  path = '';
  method = '';
  /** Index in METHOD_ID, or -1. */
  methodId = -1;
  bestPrio = MAX_PRIO;
  best: TrieEnd | null = null;
  bestExec: RegExpExecArray | null = null;
  bestDepth = 0;
  // Filled up front: stores into a growing array deoptimize the walk the first time they grow.
  spans: number[] = new Array<number>(SPAN_SLOTS).fill(0);
  bestSpans: number[] = new Array<number>(SPAN_SLOTS).fill(0);
  constructor(
    readonly fold: boolean,
    readonly trailing: boolean,
  ) {}
}

/** The code unit at `i`, folded as the RegExp `i` flag would. */
function foldedCode(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c >= 0x61 && c <= 0x7a) return c - 0x20; // a-z: the common case, no call
  return c > 0x7f ? foldChar(text[i]!).charCodeAt(0) : c;
}

/**
 * `s` as a flat, sequential string. Why: a segment's text is a slice of the pattern
 * path-to-regexp parsed (V8 keeps it as a view on that string), and comparing against a view
 * goes through V8's generic string paths: a lookup through one 36-character static segment took
 * ~310 ns, ~150 ns with the key flat (a param there: ~60-100 ns). A property key is always flat
 * (V8 internalizes it).
 */
function flat(s: string): string {
  const holder: Record<string, 0> = { [s]: 0 };
  for (const k in holder) return k;
  return s;
}

/** Does `path` hold `key` (stored folded) at `at`, comparing as the RegExp `i` flag would? */
function foldedAt(path: string, at: number, key: string): boolean {
  for (let i = 0; i < key.length; i++) if (foldedCode(path, at + i) !== key.charCodeAt(i)) return false;
  return true;
}

/**
 * Hot path. `pos` is the offset of the next segment's leading `/` (or the path's length when all
 * is consumed); `depth` counts param segments so far. Recursion depth = number of segments.
 */
function walk(node: TrieNode, pos: number, depth: number, s: Search): void {
  const p = s.path;
  const len = p.length;
  // A loop down the trie; it recurses only where a static and a param child both fit the segment.
  for (;;) {
    if (node.minPrio >= s.bestPrio) return; // nothing below can beat what we have
    if (node.tails.length !== 0) tryTails(node, pos, depth, s);
    if (pos >= len) {
      offerEnd(node, depth, s);
      return;
    }
    if (pos === len - 1 && s.trailing) offerEnd(node, depth, s); // one optional trailing slash
    let next = p.indexOf('/', pos + 1);
    if (next === -1) next = len;
    let child: TrieNode | undefined;
    const byLength = node.byLength;
    if (byLength !== null) {
      // Up to SMALL_FANOUT children: compare in place with the keys of the segment's length only.
      // Bounds checked here: a read past the end would deoptimize the walk.
      const candidates = next - pos - 1 < byLength.length ? byLength[next - pos - 1] : undefined;
      if (candidates !== undefined) {
        // The spelling of the rule (a native compare) first; case variants only when that fails
        // for every candidate (keys are distinct when folded, so at most one can match).
        for (let j = 0; j < candidates.length; j++) {
          const i = candidates[j]!;
          if (p.startsWith(node.staticTexts![i]!, pos + 1)) {
            child = node.staticNodes![i]!;
            break;
          }
        }
        if (child === undefined && s.fold) {
          for (let j = 0; j < candidates.length; j++) {
            const i = candidates[j]!;
            if (foldedAt(p, pos + 1, node.staticKeys![i]!)) {
              child = node.staticNodes![i]!;
              break;
            }
          }
        }
      }
    } else if (node.statics !== null) {
      // Many children: one native Map lookup on the segment (see TrieNode.exact).
      const segment = p.slice(pos + 1, next);
      child = node.exact !== null ? node.exact.get(segment) : undefined;
      if (child === undefined) child = node.statics!.get(s.fold ? foldCase(segment) : segment);
    }
    if (node.param !== null && next > pos + 1) {
      if (child !== undefined) walk(child, next, depth, s);
      s.spans[2 * depth] = pos + 1;
      s.spans[2 * depth + 1] = next;
      node = node.param;
      depth++;
    } else if (child !== undefined) {
      node = child;
    } else {
      return;
    }
    pos = next;
  }
}

function offerEnd(node: TrieNode, depth: number, s: Search): void {
  const end = s.methodId !== -1 ? node.endsById[s.methodId] : node.ends.get(s.method);
  if (end !== undefined && end.alt.prio < s.bestPrio) record(end, depth, null, s);
}

function tryTails(node: TrieNode, pos: number, depth: number, s: Search): void {
  const rest = pos === 0 ? s.path : s.path.slice(pos);
  for (const tail of node.tails) {
    if (tail.alt.prio >= s.bestPrio) break; // sorted by priority
    if (!tail.alt.methods.has(s.method)) continue;
    const m = tail.regexp.exec(rest);
    if (m !== null) record(tail, depth, m, s);
  }
}

function record(end: TrieEnd, depth: number, exec: RegExpExecArray | null, s: Search): void {
  s.best = end;
  s.bestPrio = end.alt.prio;
  s.bestExec = exec;
  s.bestDepth = depth;
  for (let i = 0; i < 2 * depth; i++) s.bestSpans[i] = s.spans[i]!;
}

/** Decode params as Express's router does (decodeURIComponent; wildcards split on `/` first). */
function finish(path: string, end: TrieEnd, s: Search): LookupResult {
  const rule = end.alt.rule;
  const params = new ParamsCtor() as Record<string, string | string[]>;
  try {
    const names = end.paramNames;
    const count = names.length < s.bestDepth ? names.length : s.bestDepth;
    if (count !== 0) {
      const spans = s.bestSpans;
      // One scan for `%` from the first param on, not one per param: usually there is none.
      const plain = path.indexOf('%', spans[0]) === -1;
      for (let i = 0; i < count; i++) {
        const value = path.slice(spans[2 * i], spans[2 * i + 1]);
        params[names[i]!] = plain ? value : decode(value);
      }
    }
    const exec = s.bestExec;
    if (exec !== null) {
      const keys = (end as TrieTail).keys;
      for (let i = 1; i < exec.length; i++) {
        const value = exec[i];
        if (value === undefined) continue;
        const key = keys[i - 1]!;
        params[key.name] = key.wildcard ? value.split('/').map(decode) : decode(value);
      }
    }
  } catch {
    return { kind: 'bad-path', rule };
  }
  return { kind: 'match', rule, params };
}

/**
 * Params objects: no Object.prototype in their chain (like path-to-regexp's null-prototype
 * params, a param may be named "__proto__" or "constructor"), but built by a constructor so V8
 * keeps them in fast mode: Object.create(null) objects are dictionaries, slower to fill and read.
 */
function Params(): void {}
Params.prototype = Object.create(null);
const ParamsCtor = Params as unknown as new () => object;

/** decodeURIComponent, skipped when there is nothing to decode (the common case). */
function decode(value: string): string {
  return value.indexOf('%') === -1 ? value : decodeURIComponent(value);
}