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
 * - Lookup walks the trie segment by segment (the static child picked by the segment's length
 *   and a few of its characters, then confirmed by one native compare: see static-dispatch.ts;
 *   then the param child) and keeps the candidate with the lowest priority, the alternative's
 *   place in the table (rule index, then alternative index):
 *   exactly the route Express would dispatch to, the first in registration order. Not
 *   static-first: where a static and a param child both fit a segment, both are walked (and every
 *   tail tried), so `/users/:id` listed before `/users/me` wins `/users/me`, and so does a
 *   `:a.:b`, `{/x}` or `*rest` rule listed before a static one; only subtrees whose best priority
 *   cannot win, or that answer no rule of the request's method, are pruned, so the cost follows
 *   the path's length, not the table's size.
 */
import { pathToRegexp, TokenData } from 'path-to-regexp';
import type { Token } from 'path-to-regexp';
import { foldCase } from './case-fold';
import { mergeText, splitSegments, type FlatToken } from './pattern';
import { buildDispatch, buildFreeDispatch, foldedCode, sameFolded, sameText, type Branch, type StaticEntry } from './static-dispatch';
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
  /**
   * The remainder is `/*name` alone: path-to-regexp's `^(?:\/([^]+))(?:\/$)?$` matches any rest
   * of two characters or more that starts with `/`, all of it after that `/` captured (the
   * wildcard is greedy, so a trailing slash is in it). Matched without the regexp (see tryTails).
   */
  readonly wildcardOnly: boolean;
  /** The alternative's methods as bits of TrieNode.methods: checked before the Set. */
  readonly methodBits: number;
  readonly keys: readonly { readonly name: string; readonly wildcard: boolean }[];
  /** The remainder's source pattern, for the debug print. */
  readonly source: string;
}

/** A trie node: plain data, no code. */
export interface TrieNode {
  /** Text of the segment as first written (static), or `:name` of the first param rule. */
  readonly label: string;
  readonly type: 'root' | 'static' | 'param';
  /** Static children by (folded, when case-insensitive) segment text: building, the overlap check, the print. */
  statics: Map<string, TrieNode> | null;
  /**
   * The lookup's form of `statics` (see static-dispatch.ts): by segment length, then a few code
   * units of the segment, then one native compare. Null when the node has no static child, or
   * has them in `free`.
   */
  dispatch: (Branch<TrieNode> | undefined)[] | null;
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
  /**
   * The methods answered anywhere in this subtree: bit i for METHOD_ID[i], bit OTHER_METHOD for
   * any other. A lookup skips a subtree without its method at once (a method no rule has is a
   * miss at the root, as in find-my-way's tree per method, not a walk to the end of the path).
   */
  methods: number;
  /**
   * For a node without a param child, its static children again as one decision tree over all
   * lengths (see buildFreeDispatch): the walk confirms a candidate and the `/` after it, without
   * searching for where the segment ends first. Null otherwise.
   */
  free: Branch<TrieNode> | null;
}

/**
 * Above every priority (they count alternatives from 0). A small integer: V8 keeps it, the
 * priorities and `minPrio` unboxed in the objects that hold them (a larger one boxed them all).
 */
const MAX_PRIO = 2 ** 30 - 1;
/** Param offsets preallocated per lookup (two per param segment); more grow the arrays. */
const SPAN_SLOTS = 64;
/** Methods whose ends are kept in an array (index = id); others use the Map. */
const METHOD_ID = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
/** `methods`' bit for a method not in METHOD_ID. */
const OTHER_METHOD = METHOD_ID.length;

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
  return { type, label, statics: null, dispatch: null, param: null, tails: NO_TAILS, ends: NO_ENDS, endsById: NO_ENDS_BY_ID, allEnds: NO_ALL_ENDS, minPrio: MAX_PRIO, methods: 0, free: null };
}

export function insert(root: TrieNode, alt: Alternative, opts: ResolvedCompileOptions): void {
  const { lead, segments } = splitSegments(alt.tokens);
  const paramNames: string[] = [];
  let node = root;
  if (lead.length > 0) return addTail(root, alt, paramNames, alt.tokens, opts);
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg.every((t) => t.type === 'text')) {
      const text = seg.length === 1 ? (seg[0] as { value: string }).value : seg.map((t) => (t as { value: string }).value).join('');
      const key = opts.caseSensitive ? text : foldCase(text);
      node.statics ??= new Map();
      let child = node.statics.get(key);
      // Flattened once per node, not per rule through it (flattening was a sixth of a build).
      if (!child) node.statics.set(flat(key), (child = newNode('static', flat(text))));
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
    wildcardOnly: tokens.length === 2 && tokens[0]!.type === 'text' && tokens[0]!.value === '/' && tokens[1]!.type === 'wildcard',
    methodBits: methodBits(alt.methods),
    keys: keys.map((k) => ({ name: k.name, wildcard: k.type === 'wildcard' })),
    source: tokens.map((t) => (t.type === 'text' ? t.value : t.type === 'param' ? `:${t.name}` : `*${t.name}`)).join(''),
  };
  if (node.tails === NO_TAILS) node.tails = [];
  node.tails.push(tail);
  node.tails.sort((a, b) => a.alt.prio - b.alt.prio);
  if (node.allEnds === NO_ALL_ENDS) node.allEnds = [];
  node.allEnds.push(tail);
}

/** After insertion: each node's static children as a dispatch (see static-dispatch.ts). */
function finishNode(node: TrieNode, fold: boolean): void {
  if (node.statics) {
    const entries: StaticEntry<TrieNode>[] = [];
    for (const [key, child] of node.statics) entries.push({ key, text: child.label, node: child }); // labels are flat (see insert)
    if (node.param === null) node.free = buildFreeDispatch(entries, fold);
    if (node.free === null) node.dispatch = buildDispatch(entries, fold);
    for (const child of node.statics.values()) finishNode(child, fold);
  }
  if (node.param) finishNode(node.param, fold);
}

/** Methods as bits: METHOD_ID's index, OTHER_METHOD for any other. */
function methodBits(methods: ReadonlySet<string>): number {
  let bits = 0;
  for (const method of methods) {
    const id = METHOD_ID.indexOf(method);
    bits |= 1 << (id === -1 ? OTHER_METHOD : id);
  }
  return bits;
}

/** `minPrio` and `methods` of every node, from its ends, tails and subtrees. */
function computeMinPrio(node: TrieNode): void {
  let min = MAX_PRIO;
  let methods = 0;
  for (const end of node.allEnds) {
    min = Math.min(min, end.alt.prio);
    methods |= methodBits(end.alt.methods);
  }
  const merge = (child: TrieNode): void => {
    computeMinPrio(child);
    min = Math.min(min, child.minPrio);
    methods |= child.methods;
  };
  if (node.statics) for (const child of node.statics.values()) merge(child);
  if (node.param) merge(node.param);
  node.minPrio = min;
  node.methods = methods;
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
  s.methodBit = 1 << (s.methodId !== -1 ? s.methodId : OTHER_METHOD);
  s.bestPrio = MAX_PRIO;
  s.best = null;
  s.bestExec = null;
  s.bestDepth = 0;
  s.folded = null;
  if (path.length === 0 || path.charCodeAt(0) === 0x2f /* / */) walk(root, 0, 0, s);
  else tryTails(root, 0, 0, s);
  const best = s.best as TrieEnd | null;
  s.path = '';
  s.folded = null;
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
  /** The method's bit in TrieNode.methods. */
  methodBit = 0;
  bestPrio = MAX_PRIO;
  best: TrieEnd | null = null;
  bestExec: TailMatch | null = null;
  bestDepth = 0;
  /** The path folded whole, once a segment matched only folded (see sameSegment); else null. */
  folded: string | null = null;
  // Filled up front: stores into a growing array deoptimize the walk the first time they grow.
  spans: number[] = new Array<number>(SPAN_SLOTS).fill(0);
  bestSpans: number[] = new Array<number>(SPAN_SLOTS).fill(0);
  constructor(
    readonly fold: boolean,
    readonly trailing: boolean,
  ) {}
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

/**
 * Hot path. `pos` is the offset of the next segment's leading `/` (or the path's length when all
 * is consumed); `depth` counts param segments so far. Recursion depth = number of segments.
 */
function walk(node: TrieNode, pos: number, depth: number, s: Search): void {
  const p = s.path;
  const len = p.length;
  // A loop down the trie; it recurses only where a static and a param child both fit the segment.
  down: for (;;) {
    // Nothing below can beat what we have, or nothing below answers this method.
    if (node.minPrio >= s.bestPrio || (node.methods & s.methodBit) === 0) return;
    if (node.tails !== NO_TAILS) tryTails(node, pos, depth, s);
    if (pos >= len) {
      offerEnd(node, depth, s);
      return;
    }
    if (pos === len - 1 && s.trailing) offerEnd(node, depth, s); // one optional trailing slash
    const free = node.free;
    if (free !== null) {
      // Static children only: the candidate the segment's code units point to, then its text and
      // the `/` (or the end) after it. An offset past the segment reads its `/` or the next
      // segment (a wrong candidate at worst, which the compare refuses: keys hold no `/`), and
      // past the path's end NaN, which takes the branch of the key that ends there, if any.
      let b: Branch<TrieNode> | undefined = free;
      while (b !== undefined && b.at !== -1) {
        const c: number = (s.fold ? foldedCode(p, pos + 1 + b.at) : p.charCodeAt(pos + 1 + b.at)) - b.lo;
        b = c >= 0 && c < b.next.length ? b.next[c] : c !== c ? b.atEnd : undefined;
      }
      for (let leaf = b ?? null; leaf !== null; leaf = leaf.more) {
        const end = pos + 1 + leaf.text.length;
        if (end <= len && (end === len || p.charCodeAt(end) === 0x2f /* / */) && sameSegment(p, pos + 1, end, leaf, s)) {
          node = leaf.node!;
          pos = end;
          continue down;
        }
      }
      return;
    }
    let next = p.indexOf('/', pos + 1);
    if (next === -1) next = len;
    let child: TrieNode | null = null;
    const dispatch = node.dispatch;
    if (dispatch !== null) {
      // The static child the segment can be: by its length, then the code units that tell this
      // node's keys apart (see static-dispatch.ts), then one compare of the whole segment.
      let b = next - pos - 1 < dispatch.length ? dispatch[next - pos - 1] : undefined;
      while (b !== undefined && b.at !== -1) {
        const c = (s.fold ? foldedCode(p, pos + 1 + b.at) : p.charCodeAt(pos + 1 + b.at)) - b.lo;
        b = c >= 0 && c < b.next.length ? b.next[c] : undefined;
      }
      for (let leaf = b ?? null; leaf !== null; leaf = leaf.more) {
        if (sameSegment(p, pos + 1, next, leaf, s)) {
          child = leaf.node;
          break;
        }
      }
    }
    if (node.param !== null && next > pos + 1) {
      if (child !== null) walk(child, next, depth, s);
      s.spans[2 * depth] = pos + 1;
      s.spans[2 * depth + 1] = next;
      node = node.param;
      depth++;
    } else if (child !== null) {
      node = child;
    } else {
      return;
    }
    pos = next;
  }
}

/**
 * Is the segment `p[start, end)` the leaf's? In the rule's spelling first (one native compare);
 * then, in a case-insensitive table, folded unit by unit. Once a segment matched only folded, the
 * request is spelled in another case than its rules: the whole path is folded once and its
 * later segments are compared natively with the folded keys (folding unit by unit cost ~5 ns a
 * character per segment: a re-cased uuid path 1.7× find-my-way's time).
 */
function sameSegment(p: string, start: number, end: number, leaf: Branch<TrieNode>, s: Search): boolean {
  const folded = s.folded;
  if (folded !== null) return sameText(folded, start, end, leaf.key);
  if (sameText(p, start, end, leaf.text)) return true;
  if (leaf.caseless || !sameFolded(p, start, leaf.key)) return false;
  s.folded = foldCase(p);
  return true;
}

function offerEnd(node: TrieNode, depth: number, s: Search): void {
  const end = s.methodId !== -1 ? node.endsById[s.methodId] : node.ends.get(s.method);
  if (end !== undefined && end.alt.prio < s.bestPrio) record(end, depth, null, s);
}

function tryTails(node: TrieNode, pos: number, depth: number, s: Search): void {
  const rest = pos === 0 ? s.path : s.path.slice(pos);
  for (const tail of node.tails) {
    if (tail.alt.prio >= s.bestPrio) break; // sorted by priority
    if ((tail.methodBits & s.methodBit) === 0 || (s.methodId === -1 && !tail.alt.methods.has(s.method))) continue;
    const m = tail.wildcardOnly ? wildcardRest(rest) : tail.regexp.exec(rest);
    if (m !== null) record(tail, depth, m, s);
  }
}

/** A tail's captures, in its keys' order after the whole match: a regexp's, or wildcardRest's. */
type TailMatch = ArrayLike<string | undefined>;

/** `/*name`'s regexp, natively (see TrieTail.wildcardOnly): its exec cost as much as the rest of a lookup. */
function wildcardRest(rest: string): TailMatch | null {
  return rest.length >= 2 && rest.charCodeAt(0) === 0x2f /* / */ ? [rest, rest.slice(1)] : null;
}

function record(end: TrieEnd, depth: number, exec: TailMatch | null, s: Search): void {
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
        params[key.name] = key.wildcard ? wildcardSegments(value) : decode(value);
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

/**
 * A wildcard's value as Express gives it: split at `/`, each part decoded. Why not
 * `value.split('/').map(decode)`: `split` goes through a runtime call and `map` calls per part —
 * ~250 ns for three parts here, a third of a wildcard lookup; `indexOf` and `slice` ~90 ns.
 */
function wildcardSegments(value: string): string[] {
  const plain = value.indexOf('%') === -1;
  const parts: string[] = [];
  let from = 0;
  // At most one part per character, and one more.
  for (let i = 0; i <= value.length; i++) {
    const slash = value.indexOf('/', from);
    const part = slash === -1 ? value.slice(from) : value.slice(from, slash);
    parts.push(plain ? part : decodeURIComponent(part));
    if (slash === -1) break;
    from = slash + 1;
  }
  return parts;
}

/** decodeURIComponent, skipped when there is nothing to decode (the common case). */
function decode(value: string): string {
  return value.indexOf('%') === -1 ? value : decodeURIComponent(value);
}