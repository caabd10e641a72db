/**
 * The route-table compiler, as a pipeline: rules → validated, normalised rules
 * (`rule-validation`) → each pattern flattened into its alternatives (`pattern`) → a segment
 * trie of plain data (`trie`) → the ambiguity check (`route-overlap`) → a frozen table whose
 * lookups answer exactly as Express 5's router would.
 *
 * How Express 5 matches (router 2.x over path-to-regexp 8): each route calls
 * `match(pattern, { sensitive, trailing: !strict, end: true, decode: decodeParam })` on the raw,
 * still percent-encoded pathname (no query, no dot-segment or slash merging). The regexp is
 * `^(?:alt1|alt2|…)(?:\/$)?$` with flag `i` unless case-sensitive, where the alternatives are the
 * pattern with each `{optional}` group taken, then left out. Params are `[^/]+`-like (never cross
 * a `/`), wildcards `[^]+`-like (may). The first registered route whose pattern matches and which
 * handles the method runs; a GET route handles HEAD unless it declares HEAD itself.
 *
 * We parse each pattern with path-to-regexp itself (same grammar, same errors), flatten its
 * groups in path-to-regexp's order (group taken first), and give each alternative a priority
 * (rule index, alternative index): the trie's lookup keeps the lowest among every alternative
 * that matches (it walks static and param children alike, and tails, pruning only subtrees that
 * cannot hold a lower one), so the first rule in the list wins, the route Express would dispatch
 * to, whatever the shape of the patterns. See `trie.ts` for how segments are matched.
 *
 * Rules with different requirements may overlap only when the earlier one is the more specific
 * (`/users/me` before `/users/:id`): see `route-overlap.ts`.
 */
import { BadPathError, RouteConfigError } from './errors';
import { flattenPattern, routedPath, type FlatToken } from './pattern';
import { printTable } from './print-table';
import { findAmbiguity } from './route-overlap';
import { bindRule, checkDuplicate, normalizeRule, requirementText, resolveOptions, ruleLocation, type NormalizedRule } from './rule-validation';
import { finishTrie, insert, lookupTrie, newNode, Search, type Alternative, type TrieNode } from './trie';
import type { CompiledRule, CompileOptions, LookupResult, ResolvedCompileOptions, RouteMatch, RouteRule } from './types';

export type { LookupResult } from './types';

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
  /** How long compiling took, ns: validating and building the trie, and the ambiguity check. */
  readonly compileStats: { readonly buildNs: number; readonly ambiguityNs: number };
}

/**
 * Compile route rules into a table that answers as Express 5 would route: the first rule in the
 * list whose pattern and method match a request answers it (Express's registration order).
 * Throws `RouteConfigError` naming the rule for any invalid rule, duplicate, or ambiguity.
 *
 * Rules with different requirements (scopes, bindings) may overlap only when the earlier one's
 * pattern is contained in the later one's: put `/users/me` before `/users/:id`. The other way
 * round (the later rule never reached) and partial overlaps are `ERR_AMBIGUOUS_ROUTES`.
 * No scope grants reads unless `readAllScope` names one.
 *
 * @example
 * const table = compileRoutes([
 *   { method: 'GET', path: '/healthz', public: true },
 *   { method: 'GET', path: '/users/me', scopes: ['profile'] }, // before /users/:userId: it wins there
 *   { method: 'GET', path: '/users/:userId', scopes: ['users.read'] },
 *   { method: ['PUT', 'PATCH'], path: '/users/:userId', scopes: ['users.write'] },
 * ], { readAllScope: 'all.read' }); // opt in: all.read grants every GET and HEAD
 */
export function compileRoutes(rules: readonly RouteRule[], options: CompileOptions = {}): RouteTable {
  const started = process.hrtime.bigint();
  const built = buildTable(rules, options);
  const builtAt = process.hrtime.bigint();
  const conflict = findAmbiguity(built.root, built.alternatives, built.opts);
  const stats = Object.freeze({ buildNs: Number(builtAt - started), ambiguityNs: Number(process.hrtime.bigint() - builtAt) });
  if (conflict) {
    const { a, b, verdict } = conflict;
    const [ta, tb] = [requirementText(a.rule), requirementText(b.rule)];
    // Equal in words, different in fact: the same binding reads another part of the path in each.
    const why = ta === tb ? `${ta} in both, but a bound param is not the same part of the path in each` : `${ta} vs ${tb}`;
    throw new RouteConfigError(
      'ERR_AMBIGUOUS_ROUTES',
      verdict === 'unreachable'
        ? `matches every request a later rule matches, with different requirements (${why}): ` +
            `the later rule could never be reached (Express too dispatches to the first registered). ` +
            `Put the more specific rule first (an earlier rule whose pattern is contained in a later one's answers the requests both match), ` +
            `or give both the same scopes and bindings`
        : `can match the same requests as another rule with different requirements (${why}), ` +
            `and neither pattern is contained in the other: Express would decide by registration order. ` +
            `Give both the same scopes and bindings, or make the patterns disjoint ` +
            `(rules may overlap with different requirements only when the earlier one is the more specific: /users/me before /users/:id)`,
      ruleLocation(a.rule),
      ruleLocation(b.rule),
    );
  }
  return new CompiledTable(Object.freeze(built.compiled), built.opts, built.root, stats);
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
  const normalized = rules.map((rule, index) => normalizeRule(rule, index, opts));
  const root = newNode('root', '');
  const alternatives: Alternative[] = [];
  const compiled: CompiledRule[] = [];
  const seenPatterns = new Map<string, NormalizedRule>();

  normalized.forEach((base, index) => {
    // Read as Express's router reads it (trailing slashes, without strict routing): see routedPath.
    const routed = routedPath(base.path, opts.strict);
    checkDuplicate(base, routed, opts, seenPatterns);
    const patterns: FlatToken[][] = [];
    flattenPattern(routed, ruleLocation(base), (tokens) => patterns.push(tokens));
    const rule = bindRule(base, rules[index]!, patterns, opts);
    compiled.push(rule);
    const methods = new Set(rule.methods);
    if (methods.has('GET')) methods.add('HEAD');
    patterns.forEach((tokens, altIndex) => {
      // Priority: the alternative's place in the table, rule by rule, each rule's in path-to-regexp's order.
      const alt: Alternative = { rule, altIndex, prio: alternatives.length, tokens, methods };
      alternatives.push(alt);
      insert(root, alt, opts);
    });
  });
  finishTrie(root, !opts.caseSensitive);
  return { compiled, opts, root, alternatives };
}

class CompiledTable implements RouteTable {
  readonly #root: TrieNode;
  /** Scratch state of the lookup in progress, reused (lookups are synchronous and never re-enter). */
  readonly #s: Search;

  constructor(
    readonly rules: readonly CompiledRule[],
    readonly options: ResolvedCompileOptions,
    root: TrieNode,
    readonly compileStats: RouteTable['compileStats'],
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
    return lookupTrie(this.#root, this.#s, method, path);
  }

  toString(): string {
    return printTable(this.#root, this.rules, this.options);
  }
}
