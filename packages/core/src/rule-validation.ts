/**
 * Rule validation: options and each rule checked and normalised (methods, scopes, bindings),
 * duplicates refused, and a rule's requirement as text and as a canonical key. Every error names
 * the rule.
 */
import { foldCase } from './case-fold';
import { RouteConfigError, type RuleLocation } from './errors';
import type { FlatToken } from './pattern';
import type { Binding, CompiledRule, CompileOptions, ResolvedCompileOptions, RouteRule } from './types';

/** RFC 9110 token: what a method name may be. */
const METHOD_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 6749 scope-token: printable ASCII but space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** A claim name: any text but control characters, bounded. */
const CLAIM_NAME = /^[^\x00-\x1f\x7f]{1,256}$/;
const NO_BINDINGS: readonly Binding[] = Object.freeze([]);

/** A rule's requirement in words: scopes (`a b | c`), then its bindings. */
export function requirementText(rule: CompiledRule): string {
  const scopes = rule.public
    ? 'public'
    : rule.anyOf.length === 1 && rule.anyOf[0]!.length === 0
      ? 'any authenticated caller'
      : rule.anyOf.map((alt) => alt.join(' ')).join(' | ');
  return rule.bindings.length ? `${scopes}, ${bindingsText(rule.bindings)}` : scopes;
}

/** Bindings in words: `:environmentId = claim environment_id`. */
export function bindingsText(bindings: readonly Binding[]): string {
  return bindings.map((b) => `:${b.param} = claim ${b.claim}`).join(', ');
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

/** A canonical form of a rule's requirement (scopes and bindings), equal for equivalent requirements. */
export function requirementKey(rule: CompiledRule): string {
  if (rule.public) return '\0public';
  const scopes = rule.anyOf.map((alt) => [...alt].sort().join(' ')).sort().join('|');
  if (rule.bindings.length === 0) return scopes;
  return `${scopes}\0${rule.bindings.map((b) => `${b.param}\0${b.claim}`).sort().join('\0')}`;
}

export function resolveOptions(options: CompileOptions): ResolvedCompileOptions {
  if (options === null || typeof options !== 'object') {
    throw new RouteConfigError('ERR_INVALID_OPTION', 'options must be an object');
  }
  for (const key of ['caseSensitive', 'strict'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'boolean') {
      throw new RouteConfigError('ERR_INVALID_OPTION', `option ${key} must be a boolean`);
    }
  }
  // Opt-in: a scope nobody declared must not grant anything (`dynamicTable` names `all.read`).
  const readAll = options.readAllScope === undefined ? null : options.readAllScope;
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
  if (readAll !== null && known !== null && !known.has(readAll)) {
    throw new RouteConfigError('ERR_INVALID_OPTION', `option readAllScope names ${JSON.stringify(readAll)}, which is not in knownScopes`);
  }
  return Object.freeze({
    caseSensitive: options.caseSensitive ?? false,
    strict: options.strict ?? false,
    readAllScope: readAll,
    knownScopes: known,
    bind: readBindMap(options.bind, (message) => new RouteConfigError('ERR_INVALID_OPTION', `option bind ${message}`)),
  });
}

export function ruleLocation(rule: { index: number; methods: readonly string[]; path: string }): RuleLocation {
  return { index: rule.index, method: rule.methods.join(',') || '?', path: rule.path };
}

/** `{ param: claim }`, checked and copied (null prototype: a param may be called `constructor`). */
function readBindMap(value: unknown, fail: (message: string) => RouteConfigError): Readonly<Record<string, string>> {
  const out = Object.create(null) as Record<string, string>;
  if (value === undefined) return Object.freeze(out);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw fail('must be an object { param: claim }');
  for (const [param, claim] of Object.entries(value as Record<string, unknown>)) {
    if (param === '') throw fail('names an empty param');
    if (typeof claim !== 'string' || !CLAIM_NAME.test(claim)) {
      throw fail(`binds :${param} to an invalid claim name (a non-empty string without control characters, at most 256 long)`);
    }
    out[param] = claim;
  }
  return Object.freeze(out);
}

/** A rule validated, before its pattern is flattened and its bindings resolved (see `bindRule`). */
export type NormalizedRule = Omit<CompiledRule, 'bindings'>;

/**
 * A rule's bindings, from its own `bind` and the table's, checked against the pattern's
 * alternatives: a bound param must be a `:param` (not a wildcard) in every alternative, so no
 * request can match the rule without it. Returns the frozen `CompiledRule`.
 */
export function bindRule(rule: NormalizedRule, raw: RouteRule, alternatives: readonly (readonly FlatToken[])[], opts: ResolvedCompileOptions): CompiledRule {
  const loc = ruleLocation(rule);
  const fail = (message: string) => new RouteConfigError('ERR_INVALID_BINDING', message, loc);
  const own = readBindMap(raw.bind, (message) => fail(`bind ${message}`));
  const ownParams = Object.keys(own);
  if (rule.public && ownParams.length) throw fail('a public rule cannot bind params to claims: no token is read');
  // Each name's kind in each alternative: a bound name must be a param in all of them.
  const kinds = alternatives.map((tokens) => {
    const m = new Map<string, 'param' | 'wildcard'>();
    for (const t of tokens) if (t.type !== 'text') m.set(t.name, t.type);
    return m;
  });
  const inPattern = (name: string) => kinds.some((m) => m.has(name));
  for (const param of ownParams) {
    if (!inPattern(param)) throw fail(`bind names :${param}, which the pattern does not have`);
  }
  if (rule.public) return Object.freeze({ ...rule, bindings: NO_BINDINGS });
  const bindings: Binding[] = [];
  const seen = new Set<string>();
  // In the pattern's order (first alternative is the fullest), so prints read left to right.
  for (const m of kinds) {
    for (const name of m.keys()) {
      if (seen.has(name)) continue;
      seen.add(name);
      const claim = own[name] ?? opts.bind[name];
      if (claim === undefined) continue;
      const source = own[name] !== undefined ? 'bind' : 'the table-wide bind option';
      if (kinds.some((k) => k.get(name) === 'wildcard')) throw fail(`${source} binds *${name}, a wildcard: only a :param (one segment) can be bound`);
      if (kinds.some((k) => !k.has(name))) {
        throw fail(`${source} binds :${name}, which is optional in this pattern: a request without it could not be checked`);
      }
      bindings.push(Object.freeze({ param: name, claim }));
    }
  }
  return Object.freeze({ ...rule, bindings: bindings.length ? Object.freeze(bindings) : NO_BINDINGS });
}

export function normalizeRule(rule: RouteRule, index: number, opts: ResolvedCompileOptions): NormalizedRule {
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

export function checkDuplicate(rule: NormalizedRule, routed: string, opts: ResolvedCompileOptions, seen: Map<string, NormalizedRule>): void {
  const key = opts.caseSensitive ? routed : foldCase(routed);
  for (const method of rule.methods) {
    const other = seen.get(`${method} ${key}`);
    if (other) {
      throw new RouteConfigError('ERR_DUPLICATE_ROUTE', `duplicates ${method} ${JSON.stringify(other.path)}`, ruleLocation(rule), ruleLocation(other));
    }
    seen.set(`${method} ${key}`, rule);
  }
}
