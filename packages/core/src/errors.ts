/**
 * One error base for everything scopegate throws, in the manner of jose's `util/errors`:
 * branch on `code` (stable, typed), not on messages. Errors that answer an HTTP request carry
 * the `status` and `headers` an HTTP framework should send; configuration errors are thrown
 * at build time and carry status 500.
 */

/** Codes of errors thrown while compiling a route table. */
export type RouteConfigErrorCode =
  | 'ERR_INVALID_OPTION'
  | 'ERR_INVALID_RULE'
  | 'ERR_INVALID_METHOD'
  | 'ERR_INVALID_PATTERN'
  | 'ERR_INVALID_SCOPE'
  | 'ERR_UNKNOWN_SCOPE'
  | 'ERR_PUBLIC_WITH_SCOPES'
  | 'ERR_NO_REQUIREMENT'
  | 'ERR_DUPLICATE_ROUTE'
  | 'ERR_AMBIGUOUS_ROUTES';

/** Codes of errors that answer a request. */
export type RequestErrorCode = 'ERR_BAD_PATH';

export type ScopeGateErrorCode = RouteConfigErrorCode | RequestErrorCode;

export interface ScopeGateErrorOptions {
  status?: number;
  headers?: Record<string, string>;
  cause?: unknown;
}

/**
 * Base class of every error scopegate throws.
 *
 * @example
 * try { compileRoutes(rules) } catch (e) {
 *   if (e instanceof ScopeGateError && e.code === 'ERR_AMBIGUOUS_ROUTES') console.error(e.message)
 * }
 */
export class ScopeGateError extends Error {
  /** Stable machine-readable code. */
  readonly code: ScopeGateErrorCode;
  /** HTTP status to answer with (500 for configuration errors). */
  readonly status: number;
  /** HTTP headers to answer with (e.g. `WWW-Authenticate`). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: ScopeGateErrorCode, message: string, options: ScopeGateErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status ?? 500;
    this.headers = Object.freeze({ ...options.headers });
  }
}

/** Where in the rule list a configuration error was found. */
export interface RuleLocation {
  index: number;
  method: string;
  path: string;
}

/**
 * A route table that cannot be compiled. Thrown by `compileRoutes`, naming the offending rule
 * (its index, method and pattern) and, for conflicts, the other rule.
 */
export class RouteConfigError extends ScopeGateError {
  declare readonly code: RouteConfigErrorCode;
  /** The rule at fault, when the error is about a rule. */
  readonly rule: RuleLocation | undefined;
  /** The rule it conflicts with (duplicates and ambiguities). */
  readonly otherRule: RuleLocation | undefined;

  constructor(
    code: RouteConfigErrorCode,
    message: string,
    rule?: RuleLocation,
    otherRule?: RuleLocation,
  ) {
    super(code, (rule ? `${describeRule(rule)}: ` : '') + message + (otherRule ? ` (${describeRule(otherRule)})` : ''));
    this.rule = rule;
    this.otherRule = otherRule;
  }
}

/**
 * The request path cannot be decoded (malformed percent-encoding in a parameter). Express's
 * router answers such a request with 400; so does the gate. Never a match.
 */
export class BadPathError extends ScopeGateError {
  declare readonly code: 'ERR_BAD_PATH';
  constructor(message = 'Malformed request path') {
    super('ERR_BAD_PATH', message, { status: 400 });
  }
}

export function describeRule(rule: RuleLocation): string {
  return `rule #${rule.index} (${rule.method} ${JSON.stringify(rule.path)})`;
}
