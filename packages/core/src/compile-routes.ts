/**
 * The route-table compiler: rules → validated, flattened patterns → a segment trie of plain
 * data → lookups that answer exactly as Express 5's router would.
 *
 * How Express 5 matches (router 2.x over path-to-regexp 8): each route calls
 * `match(pattern, { sensitive, trailing: !strict, end: true, decode: decodeParam })` on the raw,
 * still percent-encoded pathname (no query, no dot-segment or slash merging). The regexp is
 * `^(?:alt1|alt2|…)(?:\/$)?$` with flag `i` unless case-sensitive, where the alternatives are the
 * pattern with each `{optional}` group taken, then left out. Params are `[^/]+`-like (never cross
 * a `/`), wildcards `[^]+`-like (may). The first registered route whose pattern matches and which
 * handles the method runs; a GET route handles HEAD unless it declares HEAD itself.
 *
 * How we match the same language without a regexp per rule:
 * 1. Parse each pattern with path-to-regexp itself (same grammar, same errors) and flatten its
 *    groups in path-to-regexp's order (group taken first).
 * 2. Split each alternative at `/` into segments. A segment of plain text is a `static` node, a
 *    segment that is exactly one `:param` is a `param` node. The first segment holding anything
 *    else (a wildcard, or text and params mixed, like `:file.:ext`) and all that follows it
 *    becomes a `tail`: a regexp built by path-to-regexp from just those tokens. Because a static
 *    or param segment always consumes exactly one path segment, the trie walk fixes where the
 *    tail starts, and the tail's regexp equals the corresponding part of Express's regexp.
 * 3. Lookup walks the trie segment by segment (hash lookup on static children, then the param
 *    child) and keeps the candidate with the lowest priority = (rule index, alternative index):
 *    exactly the route Express would dispatch to. Subtrees whose best priority cannot win are
 *    pruned, so the cost follows the path's length, not the table's size.
 */
import { parse, pathToRegexp, PathError, TokenData } from 'path-to-regexp';
import type { Token } from 'path-to-regexp';
import { foldCase, foldChar } from './case-fold';
import { BadPathError, RouteConfigError, type RuleLocation } from './errors';
import { findAmbiguity } from './route-overlap';
import { mergeText, splitSegments, type FlatToken } from './pattern';
import { printTable } from './print-table';
import type {
  CompiledRule,
  CompileOptions,
  ResolvedCompileOptions,
  RouteMatch,
  RouteParams,
  RouteRule,
} from './types';

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
  /** For up to SMALL_FANOUT children, the same as two arrays scanned in order: no slice, no hash. */
  staticKeys: string[] | null;
  staticNodes: TrieNode[] | null;
  /** Indexes into staticKeys by key length: a segment is compared only with keys as long. */
  byLength: (number[] | undefined)[] | null;
  /** The text of each of staticKeys as the rule wrote it: compared first, natively. */
  staticTexts: string[] | null;
  /**
   * For more, instead: an open-addressed index over staticKeys by `segmentHash` (slot = index + 1,
   * 0 = empty, linear probing, at most half full), and each key's hash. No string is made.
   */
  slots: Int32Array | null;
  staticHashes: Int32Array | null;
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

/** What a lookup found. */
export type LookupResult =
  | { readonly kind: 'match'; readonly rule: CompiledRule; readonly params: RouteParams }
  | { readonly kind: 'bad-path'; readonly rule: CompiledRule }
  | { readonly kind: 'no-route' };

/**
 * A compiled, immutable route table.
 *
 * @example
 * const table = compileRoutes([{ method: 'GET', path: '/users/:id', scopes: ['users.read'] }]);
 * table.match('GET', '/users/42'); // → { rule: { path: '/users/:id', … }, params: { id: '42' } }
 */
export interface RouteTable {
  /** The rules, normalised and frozen, in the order given. */
  readonly rules: readonly CompiledRule[];
  /** The options the table was compiled with, defaults filled in. */
  readonly options: ResolvedCompileOptions;
  /**
   * The rule Express would dispatch `method path` to, with decoded params, or `null`.
   * `path` is the raw, still percent-encoded pathname, matched as Express's router matches
   * `req.path` (a query must already be cut off; `checkScope` does that). Throws `BadPathError`
   * (status 400) when a matched param has malformed percent-encoding: never a match.
   */
  match(method: string, path: string): RouteMatch | null;
  /** As `match`, but returns a tagged result instead of throwing. */
  lookup(method: string, path: string): LookupResult;
  /** The compiled tree, one node per line, with methods and scopes. */
  toString(): string;
}

const MAX_PRIO = Number.MAX_SAFE_INTEGER;
/** Param offsets preallocated per lookup (two per param segment); more grow the arrays. */
const SPAN_SLOTS = 64;
/** Methods whose ends are kept in an array (index = id); others use the Map. */
const METHOD_ID = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
/** Up to this many static children are compared in place; more go through the hash index (`slots`). */
const SMALL_FANOUT = 32;
/** …as long as at most this many of them have the same length. */
const MAX_SAME_LENGTH = 3;
/** path-to-regexp refuses more than 256 alternatives per pattern, so this spacing never collides. */
const ALT_SLOTS = 256;
/** RFC 9110 token: what a method name may be. */
const METHOD_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 6749 scope-token: printable ASCII but space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * Compile route rules into a table that answers as Express 5 would route.
 * Throws `RouteConfigError` naming the rule for any invalid rule, duplicate, or ambiguity.
 *
 * @example
 * const table = compileRoutes([
 *   { method: 'GET', path: '/healthz', public: true },
 *   { method: 'GET', path: '/users/:userId', scopes: ['users.read'] },
 *   { method: ['PUT', 'PATCH'], path: '/users/:userId', scopes: ['users.write'] },
 * ], { readAllScope: 'all.read' });
 */
export function compileRoutes(rules: readonly RouteRule[], options: CompileOptions = {}): RouteTable {
  const built = buildTable(rules, options);
  const conflict = findAmbiguity(built.root, built.alternatives, built.opts);
  if (conflict) {
    const [a, b] = conflict;
    throw new RouteConfigError(
      'ERR_AMBIGUOUS_ROUTES',
      `can match the same requests as another rule with different requirements ` +
        `(${requirementText(a.rule)} vs ${requirementText(b.rule)}); Express would decide by registration order. ` +
        `Give both the same scopes, or make the patterns disjoint`,
      location(a.rule),
      location(b.rule),
    );
  }
  return new CompiledTable(Object.freeze(built.compiled), built.opts, built.root);
}

/** A validated, built trie before the ambiguity check (shared with `analyzeRoutes`). */
export interface BuiltTable {
  readonly compiled: CompiledRule[];
  readonly opts: ResolvedCompileOptions;
  readonly root: TrieNode;
  readonly alternatives: readonly Alternative[];
}

/** Validate the rules and build the trie. Throws `RouteConfigError` for invalid rules and duplicates. */
export function buildTable(rules: readonly RouteRule[], options: CompileOptions = {}): BuiltTable {
  const opts = resolveOptions(options);
  if (!Array.isArray(rules)) {
    throw new RouteConfigError('ERR_INVALID_RULE', 'compileRoutes expects an array of rules');
  }
  const compiled = rules.map((rule, index) => normalizeRule(rule, index, opts));
  const root = newNode('root', '');
  const alternatives: Alternative[] = [];
  const seenPatterns = new Map<string, CompiledRule>();

  for (const rule of compiled) {
    checkDuplicate(rule, opts, seenPatterns);
    const methods = new Set(rule.methods);
    if (methods.has('GET')) methods.add('HEAD');
    flattenPattern(rule, (tokens, altIndex) => {
      const alt: Alternative = { rule, altIndex, prio: rule.index * ALT_SLOTS + altIndex, tokens, methods };
      alternatives.push(alt);
      insert(root, alt, opts);
    });
  }
  computeMinPrio(root);
  finishNode(root);
  return { compiled, opts, root, alternatives };
}

export function requirementText(rule: CompiledRule): string {
  if (rule.public) return 'public';
  if (rule.anyOf.length === 1 && rule.anyOf[0]!.length === 0) return 'any authenticated caller';
  return rule.anyOf.map((alt) => alt.join(' ')).join(' | ');
}

/** Drop duplicate alternatives and those implied by a smaller one (`[[a], [a, b]]` is `[[a]]`). */
function simplify(alternatives: string[][]): string[][] {
  const out: string[][] = [];
  alternatives.forEach((alt, i) => {
    const implied = alternatives.some((other, j) => j !== i && other.every((s) => alt.includes(s)) && (other.length < alt.length || j < i));
    if (!implied) out.push(alt);
  });
  return out;
}

/** A canonical form of a rule's requirement, equal for equivalent requirements. */
export function requirementKey(rule: CompiledRule): string {
  if (rule.public) return '\0public';
  return rule.anyOf.map((alt) => [...alt].sort().join(' ')).sort().join('|');
}

function resolveOptions(options: CompileOptions): ResolvedCompileOptions {
  if (options === null || typeof options !== 'object') {
    throw new RouteConfigError('ERR_INVALID_OPTION', 'options must be an object');
  }
  for (const key of ['caseSensitive', 'strict'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'boolean') {
      throw new RouteConfigError('ERR_INVALID_OPTION', `option ${key} must be a boolean`);
    }
  }
  const readAll = options.readAllScope === undefined ? 'all.read' : options.readAllScope;
  if (readAll !== null && (typeof readAll !== 'string' || !SCOPE_TOKEN.test(readAll))) {
    throw new RouteConfigError('ERR_INVALID_OPTION', 'option readAllScope must be a scope token or null');
  }
  let known: Set<string> | null = null;
  if (options.knownScopes !== undefined) {
    if (options.knownScopes === null || typeof (options.knownScopes as Iterable<string>)[Symbol.iterator] !== 'function' || typeof options.knownScopes === 'string') {
      throw new RouteConfigError('ERR_INVALID_OPTION', 'option knownScopes must be an iterable of scope strings');
    }
    known = new Set(options.knownScopes);
    for (const s of known) {
      if (typeof s !== 'string' || !SCOPE_TOKEN.test(s)) {
        throw new RouteConfigError('ERR_INVALID_OPTION', `option knownScopes holds an invalid scope ${JSON.stringify(s)}`);
      }
    }
  }
  return Object.freeze({
    caseSensitive: options.caseSensitive ?? false,
    strict: options.strict ?? false,
    readAllScope: readAll,
    knownScopes: known,
  });
}

function location(rule: { index: number; methods: readonly string[]; path: string }): RuleLocation {
  return { index: rule.index, method: rule.methods.join(',') || '?', path: rule.path };
}

function normalizeRule(rule: RouteRule, index: number, opts: ResolvedCompileOptions): CompiledRule {
  const where = (method: string, path: string): RuleLocation => ({ index, method, path });
  if (rule === null || typeof rule !== 'object') {
    throw new RouteConfigError('ERR_INVALID_RULE', 'a rule must be an object', where('?', '?'));
  }
  const rawPath: unknown = rule.path;
  const pathText = typeof rawPath === 'string' ? rawPath : String(rawPath);
  const rawMethods: unknown[] = Array.isArray(rule.method) ? [...rule.method] : [rule.method];
  const methodText = rawMethods.map(String).join(',');
  if (rawMethods.length === 0) {
    throw new RouteConfigError('ERR_INVALID_METHOD', 'method list is empty', where('', pathText));
  }
  const methods: string[] = [];
  for (const m of rawMethods) {
    if (typeof m !== 'string' || !METHOD_TOKEN.test(m)) {
      throw new RouteConfigError('ERR_INVALID_METHOD', `invalid method ${JSON.stringify(m)}`, where(methodText, pathText));
    }
    const upper = m.toUpperCase();
    if (methods.includes(upper)) {
      throw new RouteConfigError('ERR_INVALID_METHOD', `method ${upper} is listed twice`, where(methodText, pathText));
    }
    methods.push(upper);
  }
  const loc = where(methods.join(','), pathText);
  if (typeof rawPath !== 'string') {
    throw new RouteConfigError('ERR_INVALID_PATTERN', 'path must be a string', loc);
  }
  if (rule.public !== undefined && typeof rule.public !== 'boolean') {
    throw new RouteConfigError('ERR_INVALID_RULE', 'public must be a boolean', loc);
  }
  if (rule.description !== undefined && typeof rule.description !== 'string') {
    throw new RouteConfigError('ERR_INVALID_RULE', 'description must be a string', loc);
  }
  const isPublic = rule.public === true;
  const readScopes = (list: unknown, what: string): string[] => {
    if (!Array.isArray(list)) throw new RouteConfigError('ERR_INVALID_SCOPE', `${what} must be an array of strings`, loc);
    const out: string[] = [];
    for (const s of list as unknown[]) {
      if (typeof s !== 'string' || !SCOPE_TOKEN.test(s)) {
        throw new RouteConfigError('ERR_INVALID_SCOPE', `invalid scope ${JSON.stringify(s)} (RFC 6749 scope-token)`, loc);
      }
      if (opts.knownScopes && !opts.knownScopes.has(s)) {
        throw new RouteConfigError('ERR_UNKNOWN_SCOPE', `scope ${JSON.stringify(s)} is not a known scope`, loc);
      }
      if (!out.includes(s)) out.push(s);
    }
    return out;
  };
  if (rule.scopes !== undefined && rule.anyOf !== undefined) {
    throw new RouteConfigError('ERR_INVALID_RULE', 'give scopes or anyOf, not both', loc);
  }
  let anyOf: string[][];
  if (rule.anyOf !== undefined) {
    if (!Array.isArray(rule.anyOf) || rule.anyOf.length === 0) {
      throw new RouteConfigError('ERR_INVALID_SCOPE', 'anyOf must be a non-empty array of scope arrays', loc);
    }
    anyOf = simplify(rule.anyOf.map((alt, i) => readScopes(alt, `anyOf[${i}]`)));
  } else {
    anyOf = rule.scopes === undefined ? [] : [readScopes(rule.scopes, 'scopes')];
  }
  if (isPublic && anyOf.some((alt) => alt.length > 0)) {
    throw new RouteConfigError('ERR_PUBLIC_WITH_SCOPES', 'a public rule cannot require scopes', loc);
  }
  if (!isPublic && rule.scopes === undefined && rule.anyOf === undefined) {
    throw new RouteConfigError(
      'ERR_NO_REQUIREMENT',
      'give scopes (use [] for any authenticated caller), anyOf, or public: true',
      loc,
    );
  }
  if (isPublic) anyOf = [];
  // Scopes every alternative needs (all of them for a plain rule).
  const scopes = anyOf.length ? anyOf[0]!.filter((s) => anyOf.every((alt) => alt.includes(s))) : [];
  return Object.freeze({
    index,
    methods: Object.freeze(methods),
    path: rawPath,
    scopes: Object.freeze(scopes),
    anyOf: Object.freeze(anyOf.map((alt) => Object.freeze(alt))),
    public: isPublic,
    description: rule.description,
  });
}

function checkDuplicate(rule: CompiledRule, opts: ResolvedCompileOptions, seen: Map<string, CompiledRule>): void {
  const key = opts.caseSensitive ? rule.path : foldCase(rule.path);
  for (const method of rule.methods) {
    const other = seen.get(`${method} ${key}`);
    if (other) {
      throw new RouteConfigError('ERR_DUPLICATE_ROUTE', `duplicates ${method} ${JSON.stringify(other.path)}`, location(rule), location(other));
    }
    seen.set(`${method} ${key}`, rule);
  }
}

/** Parse with path-to-regexp and call `emit` for each alternative, in path-to-regexp's order. */
function flattenPattern(rule: CompiledRule, emit: (tokens: FlatToken[], altIndex: number) => void): void {
  let data: TokenData;
  try {
    data = parse(rule.path);
    // Let path-to-regexp judge the whole pattern too (e.g. "Missing text before" a capture,
    // or more than 256 alternatives), so what compiles here is what Express accepts.
    pathToRegexp(data);
  } catch (err) {
    const message = err instanceof PathError || err instanceof TypeError ? err.message : String(err);
    throw new RouteConfigError('ERR_INVALID_PATTERN', `invalid pattern: ${message}`, location(rule));
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

function newNode(type: TrieNode['type'], label: string): TrieNode {
  return { type, label, statics: null, staticKeys: null, staticNodes: null, byLength: null, staticTexts: null, slots: null, staticHashes: null, param: null, tails: [], ends: new Map(), endsById: [], allEnds: [], minPrio: MAX_PRIO };
}

function insert(root: TrieNode, alt: Alternative, opts: ResolvedCompileOptions): void {
  const { lead, segments } = splitSegments(alt.tokens);
  const paramNames: string[] = [];
  let node = root;
  if (lead.length > 0) return addTail(root, alt, paramNames, alt.tokens, opts);
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg.every((t) => t.type === 'text')) {
      const text = seg.map((t) => (t as { value: string }).value).join('');
      const key = opts.caseSensitive ? text : foldCase(text);
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
  node.allEnds.push(end);
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
  node.tails.push(tail);
  node.tails.sort((a, b) => a.alt.prio - b.alt.prio);
  node.allEnds.push(tail);
}

/** After insertion: small static fan-outs become arrays (see `walk`). */
function finishNode(node: TrieNode): void {
  // A packed array of the same length everywhere keeps the hot read monomorphic.
  for (let i = 0; i < METHOD_ID.length; i++) node.endsById[i] ??= undefined;
  if (node.statics) {
    const keys = (node.staticKeys = [...node.statics.keys()]);
    node.staticNodes = [...node.statics.values()];
    node.staticTexts = node.staticNodes.map((child) => child.label);
    // Few children, and few of each length: compared in place. Otherwise a hash lookup is cheaper.
    const lengths = new Map<number, number>();
    for (const key of keys) lengths.set(key.length, (lengths.get(key.length) ?? 0) + 1);
    if (keys.length > SMALL_FANOUT || [...lengths.values()].some((n) => n > MAX_SAME_LENGTH)) {
      const hashes = (node.staticHashes = new Int32Array(keys.length));
      let size = 4;
      while (size < 2 * keys.length) size *= 2;
      const slots = (node.slots = new Int32Array(size));
      keys.forEach((key, i) => {
        const h = (hashes[i] = segmentHash(key, 0, key.length, false));
        let k = h & (size - 1);
        while (slots[k] !== 0) k = (k + 1) & (size - 1);
        slots[k] = i + 1;
      });
    } else {
      const byLength: (number[] | undefined)[] = (node.byLength = []);
      keys.forEach((key, i) => (byLength[key.length] ??= []).push(i));
      for (let i = 0; i < byLength.length; i++) byLength[i] ??= undefined;
    }
  }
  if (node.statics) for (const child of node.statics.values()) finishNode(child);
  if (node.param) finishNode(node.param);
}

function computeMinPrio(node: TrieNode): number {
  let min = MAX_PRIO;
  for (const end of node.allEnds) min = Math.min(min, end.alt.prio);
  if (node.statics) for (const child of node.statics.values()) min = Math.min(min, computeMinPrio(child));
  if (node.param) min = Math.min(min, computeMinPrio(node.param));
  node.minPrio = min;
  return min;
}

class CompiledTable implements RouteTable {
  readonly #root: TrieNode;
  /** Scratch state of the lookup in progress, reused (lookups are synchronous and never re-enter). */
  readonly #s: Search;

  constructor(
    readonly rules: readonly CompiledRule[],
    readonly options: ResolvedCompileOptions,
    root: TrieNode,
  ) {
    this.#root = root;
    this.#s = new Search(!options.caseSensitive, !options.strict);
    Object.freeze(this);
  }

  match(method: string, path: string): RouteMatch | null {
    const result = this.lookup(method, path);
    if (result.kind === 'match') return { rule: result.rule, params: result.params };
    if (result.kind === 'bad-path') throw new BadPathError(`Malformed percent-encoding in a parameter of ${JSON.stringify(result.rule.path)}`);
    return null;
  }

  lookup(method: string, path: string): LookupResult {
    if (typeof method !== 'string' || typeof path !== 'string') return NO_ROUTE;
    // Like Express's matchers, take the pathname as given: `?` here is part of the path.
    const s = this.#s;
    s.path = path;
    // Node hands methods over upper-case already; only other spellings pay for `toUpperCase()`.
    const id = methodId(method);
    s.method = id !== -1 ? method : method.toUpperCase();
    s.methodId = id !== -1 ? id : methodId(s.method);
    s.bestPrio = MAX_PRIO;
    s.best = null;
    s.bestExec = null;
    s.bestDepth = 0;
    if (path.length === 0 || path.charCodeAt(0) === 0x2f /* / */) walk(this.#root, 0, 0, s);
    else tryTails(this.#root, 0, 0, s);
    const best = s.best as TrieEnd | null;
    s.path = '';
    if (best === null) return NO_ROUTE;
    return finish(path, best, s);
  }

  toString(): string {
    return printTable(this.#root, this.rules, this.options);
  }
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
class Search {
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

/**
 * A hash of `text[from, to)` from its length and three code units (first, middle, last), folded as
 * foldCase would when `fold`: equal for equal folded text, and the same cost for any length.
 * Keys sharing a hash are told apart by the full compare.
 */
function segmentHash(text: string, from: number, to: number, fold: boolean): number {
  const n = to - from;
  if (n === 0) return 0;
  const a = fold ? foldedCode(text, from) : text.charCodeAt(from);
  const b = fold ? foldedCode(text, from + (n >> 1)) : text.charCodeAt(from + (n >> 1));
  const c = fold ? foldedCode(text, to - 1) : text.charCodeAt(to - 1);
  const h = Math.imul(n, 0x9e3779b1) ^ Math.imul(a, 0x85ebca6b) ^ Math.imul(b, 0xc2b2ae35) ^ Math.imul(c, 0x27d4eb2f);
  return (h ^ (h >>> 15)) | 0;
}

/** The code unit at `i`, folded as the RegExp `i` flag would. */
function foldedCode(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c >= 0x61 && c <= 0x7a) return c - 0x20; // a-z: the common case, no call
  return c > 0x7f ? foldChar(text[i]!).charCodeAt(0) : c;
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
    } else if (node.slots !== null) {
      // Many children: hash the segment in O(1), probe, and compare the (usually one) candidate.
      const slots = node.slots;
      const mask = slots.length - 1;
      const h = segmentHash(p, pos + 1, next, s.fold);
      for (let k = h & mask, e = slots[k]!; e !== 0; k = (k + 1) & mask, e = slots[k]!) {
        const i = e - 1;
        const key = node.staticKeys![i]!;
        if (node.staticHashes![i] === h && key.length === next - pos - 1 && (p.startsWith(node.staticTexts![i]!, pos + 1) || (s.fold && foldedAt(p, pos + 1, key)))) {
          child = node.staticNodes![i]!;
          break;
        }
      }
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
