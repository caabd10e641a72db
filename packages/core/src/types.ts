/**
 * One entry of a route table: which requests it covers and what they need. The first rule in the
 * list that matches a request answers it (Express's registration order), so a specific rule goes
 * before the general one that contains it: `/users/me` before `/users/:id`.
 */
export interface RouteRule {
  /** HTTP method(s), case-insensitive: `GET`, `POST`, `PUT`, `PATCH`, `DELETE`, `HEAD`, `OPTIONS`, or any other token. A `GET` rule also serves `HEAD`, as in Express. */
  method: string | readonly string[];
  /** Express 5 / path-to-regexp 8 pattern: `/users/:userId`, `{/optional}`, `/files/*splat`. */
  path: string;
  /** Scopes the token must all hold; `[]` = any authenticated caller. Required unless `public` or `anyOf`. */
  scopes?: readonly string[];
  /** Alternatives (OR of ANDs), as OpenAPI security requirements: the token must hold all scopes of at least one. Excludes `scopes`. */
  anyOf?: readonly (readonly string[])[];
  /** No token needed at all (health checks, docs). Excludes `scopes`. */
  public?: boolean;
  /** Free text, shown in debug prints and reports. */
  description?: string;
  /**
   * Path params bound to token claims, `{ param: claim }`: the request passes only if the
   * decoded param equals the claim's value (a string, or one of an array of strings). Adds to
   * (and, for the same param, overrides) the table-wide `bind` option. Not on public rules.
   */
  bind?: Readonly<Record<string, string>>;
}

/** A path param bound to a token claim. */
export interface Binding {
  /** The `:param` of the pattern. */
  readonly param: string;
  /** The top-level claim whose value (a string, or an array of strings) the param must equal. */
  readonly claim: string;
}

/** A rule as the compiled table keeps it: normalised, frozen, with its position. */
export interface CompiledRule {
  /** Position in the list given to `compileRoutes` (Express's registration order). */
  readonly index: number;
  /** Upper-case methods, as written (a `GET` rule serves `HEAD` without listing it). */
  readonly methods: readonly string[];
  readonly path: string;
  /** Scopes required whatever alternative is used (for a plain rule: all its scopes, de-duplicated, in the order given); `[]` for public and authenticated-only rules. */
  readonly scopes: readonly string[];
  /** The requirement as alternatives (OR of ANDs): `[scopes]` for a plain rule, `[[]]` for authenticated-only, `[]` for public. Alternatives implied by others are dropped. */
  readonly anyOf: readonly (readonly string[])[];
  readonly public: boolean;
  readonly description: string | undefined;
  /** Params bound to claims (from the rule's `bind` and the table's), in the order of the pattern; `[]` for none. */
  readonly bindings: readonly Binding[];
}

/** Route parameters, decoded as Express decodes them; wildcards give arrays of segments. */
export type RouteParams = Readonly<Record<string, string | string[]>>;

/** A successful lookup. */
export interface RouteMatch {
  readonly rule: CompiledRule;
  readonly params: RouteParams;
}

/** Options of `compileRoutes`. */
export interface CompileOptions {
  /** As Express's "case sensitive routing": when false, `/Users` matches `/users`. Default `false`. */
  caseSensitive?: boolean;
  /** As Express's "strict routing": when false, one trailing slash is ignored. Default `false`. */
  strict?: boolean;
  /**
   * A scope that grants every GET and HEAD request on a non-public rule (bindings still apply),
   * e.g. `'all.read'`. Opt-in: default `null` (no read-all scope), so a scope the rules never
   * name grants nothing. `dynamicTable` sets `'all.read'`.
   */
  readAllScope?: string | null;
  /** When given, a rule naming any scope outside this set is a compile error. Default: any scope. */
  knownScopes?: Iterable<string>;
  /**
   * Table-wide bindings, `{ param: claim }`: every non-public rule whose pattern has `:param`
   * binds it to `claim` (a rule's own `bind` may name another claim for it). Default: none.
   * @example { environmentId: 'environment_id' }
   */
  bind?: Readonly<Record<string, string>>;
}

/** The options a table was compiled with, defaults filled in. */
export interface ResolvedCompileOptions {
  readonly caseSensitive: boolean;
  readonly strict: boolean;
  /** `null` unless the table opted in. */
  readonly readAllScope: string | null;
  readonly knownScopes: ReadonlySet<string> | null;
  /** Table-wide bindings (`{}` for none). */
  readonly bind: Readonly<Record<string, string>>;
}

/** What a lookup found. */
export type LookupResult =
  | { readonly kind: 'match'; readonly rule: CompiledRule; readonly params: RouteParams }
  | { readonly kind: 'bad-path'; readonly rule: CompiledRule }
  | { readonly kind: 'no-route' };
