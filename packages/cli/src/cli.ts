/**
 * `scopegate`: check decisions, lint route tables, render permission docs, import OpenAPI, and
 * make DPoP keys and proofs.
 * Exit codes: 0 ok, 1 denied or findings, 2 usage or bad input (one line, no stack trace).
 * Never prints a token or a claim's value (claim names and counts only), nor a private key but
 * where asked for it (`dpop-key`'s standard output).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import {
  analyzeRoutes,
  bindingsText,
  checkScope,
  compileRoutes,
  RouteConfigError,
  type CompiledRule,
  type CompileOptions,
  type RouteAnalysis,
  type RouteRule,
  type RouteTable,
  type ScopesInput,
} from '@scopegate/core';
import { dynamicScopes, dynamicTable } from '@scopegate/dynamic';
import { OpenApiError, parseOpenApiText, renderScopeReference, routesFromOpenApi, type ImportWarning, type ScopeInfo } from '@scopegate/openapi';
import { DPOP_ALGORITHMS, DpopInputError, generateDpopKey, readSigningKey, signProof, tokenFromText, type DpopCliAlgorithm } from './dpop';
import { bindingStatus, ClaimsError, claimsFromOptions, claimsFromTokenText, scopesFromClaims, SCOPE_CLAIMS, type Claims } from './token-claims';

/** Bad input: reported as `scopegate: <where>: <what>`, exit 2. */
class InputError extends Error {}

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  color: boolean;
}

const paint = (io: Io, code: number, text: string) => (io.color ? `\x1b[${code}m${text}\x1b[0m` : text);

/** Line and column of a character offset, for error messages. */
function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : `cannot read (${code})`}`);
  }
}

interface Loaded {
  rules: RouteRule[];
  options: CompileOptions;
  scopes?: readonly ScopeInfo[];
  warnings: ImportWarning[];
  /** Read from an OpenAPI document. */
  openapi: boolean;
}

/** A rule list (JSON array or `{ "rules": [...], "options": {...} }`) or an OpenAPI document (JSON or YAML). */
function loadRules(file: string, importOptions: { scheme?: string; basePath?: 'strip' | 'keep' } = {}): Loaded {
  const text = readText(file);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const looksJson = /^\s*[[{]/.test(text);
    if (looksJson) {
      // JSON.parse rarely says where; the YAML parser (JSON is YAML) does.
      const position = /at position (\d+)/.exec((err as Error).message);
      let where = position ? `:${lineCol(text, Number(position[1]))}` : '';
      let why = (err as Error).message.split('\n')[0]!.replace(/, ".*$/, '').replace(/ in JSON at position \d+.*$/, '');
      if (!where) try {
        parseOpenApiText(text);
      } catch (yamlErr) {
        if (yamlErr instanceof OpenApiError && yamlErr.location) {
          where = `:${yamlErr.location}`;
          why = yamlErr.message.replace(/^\d+:\d+: /, '');
        }
      }
      throw new InputError(`${file}${where}: invalid JSON (${why})`);
    }
    try {
      value = parseOpenApiText(text);
    } catch (yamlErr) {
      if (yamlErr instanceof OpenApiError) throw new InputError(`${file}${yamlErr.location ? `:${yamlErr.location}` : ''}: ${yamlErr.message.replace(/^\d+:\d+: /, '')}`);
      throw yamlErr;
    }
  }
  if (value && typeof value === 'object' && !Array.isArray(value) && 'openapi' in value) {
    try {
      const { rules, warnings } = routesFromOpenApi(value as never, importOptions);
      return { rules, options: {}, warnings, openapi: true };
    } catch (err) {
      if (err instanceof OpenApiError) throw new InputError(`${file}: ${err.message}`);
      throw err;
    }
  }
  if (Array.isArray(value)) return { rules: value as RouteRule[], options: {}, warnings: [], openapi: false };
  const obj = value as { rules?: unknown; options?: unknown } | null;
  if (obj && Array.isArray(obj.rules)) return { rules: obj.rules as RouteRule[], options: (obj.options ?? {}) as CompileOptions, warnings: [], openapi: false };
  throw new InputError(`${file}: expected a JSON array of rules, { "rules": [...] }, or an OpenAPI document`);
}

function compileFile(file: string, loaded: Loaded): RouteTable {
  try {
    return compileRoutes(loaded.rules, loaded.options);
  } catch (err) {
    if (err instanceof RouteConfigError) throw new InputError(`${file}: ${err.message}`);
    throw err;
  }
}

/** A table from a file (its OpenAPI import warnings printed on stderr), or Dynamic's. */
function tableFrom(io: Io, file: string | undefined): { table: RouteTable; scopes?: readonly ScopeInfo[] } {
  if (file === undefined) return { table: dynamicTable, scopes: dynamicScopes };
  const loaded = loadRules(file);
  const table = compileFile(file, loaded);
  printWarnings(io, loaded.warnings);
  return { table };
}

/** Import warnings, one line each, on stderr (standard output stays the command's own). */
function printWarnings(io: Io, warnings: readonly ImportWarning[]): void {
  for (const w of warnings) io.err(`${paint(io, 33, 'warning')} ${w.location}: ${w.message}\n`);
}

/**
 * The request path `check` decides on: it must start with `/`, as a path Express routes does
 * (a path without one would only ever answer no-route). A URL gets its path suggested.
 */
function requestPath(path: string): string {
  if (path.startsWith('/')) return path;
  let hint = `/${path}`;
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(path)) {
    try {
      const url = new URL(path);
      hint = url.pathname + url.search;
    } catch {
      // not a URL after all: suggest the slash
    }
  }
  throw new InputError(`the request path must start with "/": got ${JSON.stringify(path)} (did you mean ${JSON.stringify(hint)}?)`);
}

/** This package's version, from its package.json (one level above both src/ and dist/). */
function packageVersion(): string {
  try {
    const version = (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version?: unknown }).version;
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}

interface CheckOptions {
  scopes?: string;
  claim: string[];
  tokenFile?: string;
  routes?: string;
  json?: boolean;
}

/** The token `check` decides for: `null` scopes and claims when there is none. */
interface CheckToken {
  scopes: ScopesInput;
  claims: Claims | null;
  scopesFrom: '--scopes' | 'claims' | null;
  /** Claims given with `--claim`, and the token file: where they came from. */
  claimSources: string[];
  /** The token file held a JWT, decoded without verification. */
  unverifiedJwt: string | null;
}

/**
 * Scopes from `--scopes` when given, else from the claims' scope claims; claims from the token
 * file, then `--claim` (which replaces the file's claim of the same name). No option at all: no
 * token, as before claims existed.
 */
function checkToken(opts: CheckOptions): CheckToken {
  try {
    let claims: Claims | null = null;
    const claimSources: string[] = [];
    let unverifiedJwt: string | null = null;
    if (opts.tokenFile !== undefined) {
      const read = claimsFromTokenText(opts.tokenFile, readText(opts.tokenFile));
      claims = read.claims;
      claimSources.push(`${opts.tokenFile} (${read.format === 'jwt' ? 'JWT payload' : 'JSON'})`);
      if (read.format === 'jwt') unverifiedJwt = opts.tokenFile;
    }
    if (opts.claim.length) {
      claims = Object.assign(claims ?? Object.create(null), claimsFromOptions(opts.claim));
      claimSources.push('--claim');
    }
    if (opts.scopes !== undefined) return { scopes: opts.scopes, claims: claims ?? Object.create(null), scopesFrom: '--scopes', claimSources, unverifiedJwt };
    if (claims !== null) return { scopes: scopesFromClaims(claims), claims, scopesFrom: 'claims', claimSources, unverifiedJwt };
    return { scopes: null, claims: null, scopesFrom: null, claimSources, unverifiedJwt };
  } catch (err) {
    if (err instanceof ClaimsError) throw new InputError(err.message);
    throw err;
  }
}

/** Indexes as ranges: `#0–#3, #5`. */
function indexRanges(indexes: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < indexes.length; i++) {
    let j = i;
    while (j + 1 < indexes.length && indexes[j + 1] === indexes[j]! + 1) j++;
    out.push(j > i ? `#${indexes[i]}–#${indexes[j]}` : `#${indexes[i]}`);
    i = j;
  }
  return out.join(', ');
}

/** Lint lines for bindings: one per distinct param = claim, with the rules that have it. */
function bindingLines(report: RouteAnalysis): string[] {
  const groups = new Map<string, { text: string; tableWide: boolean; rules: number[] }>();
  for (const rule of report.rules) {
    for (const b of rule.bindings) {
      const key = `${b.param}\0${b.claim}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { text: bindingsText([b]), tableWide: report.options.bind[b.param] === b.claim, rules: [] }));
      g.rules.push(rule.index);
    }
  }
  return [...groups.values()].map((g) => `${g.text}${g.tableWide ? ' (table-wide)' : ''} on ${g.rules.length} rule(s): ${indexRanges(g.rules)}`);
}

const ruleJson = (r: CompiledRule) => ({ index: r.index, methods: r.methods, path: r.path, anyOf: r.anyOf, public: r.public, bindings: r.bindings });

function program(io: Io, setCode: (code: number) => void): Command {
  const cli = new Command('scopegate')
    .description('Enforce OAuth-style scopes on HTTP APIs: check decisions, lint tables, render docs, import OpenAPI, make DPoP keys and proofs.')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', '\nExit codes: 0 ok, 1 denied or findings, 2 usage or bad input.');

  cli
    .command('check')
    .description('decide one request: allowed or not, why, which scopes are missing and which bound param fails')
    .argument('<method>', 'HTTP method, e.g. GET')
    .argument('<path>', 'request path, e.g. /environments/e1/users')
    .option('-s, --scopes <scopes>', `the token's scopes, space-separated (omit: read from the claims' ${SCOPE_CLAIMS.join('/')}, or no token without claims)`)
    .option('--claim <name=value>', 'a claim of the token, for params bound to claims (repeatable; a name given twice makes an array)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--token-file <file>', 'claims from a file: a JWT (payload decoded WITHOUT verifying its signature) or a JSON object; --claim overrides')
    .option('-r, --routes <file>', 'route table: JSON rules ([...] or { "rules": [...], "options": { "readAllScope": "all.read" } }) or OpenAPI; no read-all scope unless the file names one; default: Dynamic\'s table')
    .option('--json', 'print the decision as JSON')
    .action((method: string, rawPath: string, opts: CheckOptions) => {
      const path = requestPath(rawPath);
      const { table } = tableFrom(io, opts.routes);
      const token = checkToken(opts);
      const d = checkScope(table, { method, path }, token.scopes, token.claims);
      const present = token.scopes !== null;
      const bindings = d.rule && !d.rule.public ? d.rule.bindings.map((b) => ({ ...b, ...bindingStatus(b, d.params, present ? token.claims : null) })) : [];
      const warning = token.unverifiedJwt && `${token.unverifiedJwt} holds a JWT: its payload was decoded WITHOUT verifying its signature; this is what the gate decides IF the token is valid`;
      if (opts.json) {
        const tokenJson = present
          ? { scopesFrom: token.scopesFrom, claims: token.claims ? Object.keys(token.claims).length : 0, claimSources: token.claimSources, signatureVerified: token.unverifiedJwt ? false : undefined }
          : null;
        io.out(JSON.stringify({ ...d, params: { ...d.params }, rule: d.rule && ruleJson(d.rule), bindings, token: tokenJson, ...(warning ? { warning } : {}) }, null, 2) + '\n');
      } else {
        const head = d.allowed ? paint(io, 32, 'ALLOWED') : paint(io, 31, 'DENIED');
        const lines = [`${head} ${method.toUpperCase()} ${path}: ${d.reason}`];
        if (d.rule) lines.push(`  rule:     #${d.rule.index} ${d.rule.methods.join(',')} ${d.rule.path}${d.rule.description ? ` (${d.rule.description})` : ''}`);
        if (d.required.length) lines.push(`  required: ${d.required.join(' ')}`);
        if (d.missing.length) lines.push(`  missing:  ${d.missing.join(' ')}`);
        for (const b of bindings) lines.push(`  binding:  ${bindingsText([b])} — ${b.why}`);
        // Where the token came from, once claims are in play (plain --scopes prints as it always did).
        if (present && (token.claimSources.length || bindings.length)) {
          const claims = token.claims ? Object.keys(token.claims).length : 0;
          const from = claims ? `${claims} claim(s) from ${token.claimSources.join(' and ')}` : 'no claims (a bound param needs --claim or --token-file)';
          lines.push(`  token:    scopes from ${token.scopesFrom === 'claims' ? `its ${SCOPE_CLAIMS.join('/')} claims` : '--scopes'}; ${from}`);
        }
        if (warning) lines.push(`  ${paint(io, 33, 'warning:')}  ${warning}`);
        io.out(lines.join('\n') + '\n');
      }
      setCode(d.allowed ? 0 : 1);
    });

  cli
    .command('lint')
    .description('compile a route table and report overlaps, shadowed and unreachable rules')
    .argument('<file>', 'JSON rules or an OpenAPI document')
    .option('--case-sensitive', 'as Express "case sensitive routing"')
    .option('--strict', 'as Express "strict routing"')
    .option('--json', 'print findings as JSON')
    .action((file: string, opts: { caseSensitive?: boolean; strict?: boolean; json?: boolean }) => {
      const loaded = loadRules(file);
      const options = { ...loaded.options, ...(opts.caseSensitive ? { caseSensitive: true } : {}), ...(opts.strict ? { strict: true } : {}) };
      let report;
      try {
        report = analyzeRoutes(loaded.rules, options);
      } catch (err) {
        if (err instanceof RouteConfigError) throw new InputError(`${file}: ${err.message}`);
        throw err;
      }
      const serious = report.findings.filter((f) => f.severity !== 'info');
      if (opts.json) {
        const bound = report.rules.filter((r) => r.bindings.length).map((r) => ({ rule: r.index, methods: r.methods, path: r.path, bindings: r.bindings }));
        io.out(JSON.stringify({ rules: loaded.rules.length, warnings: loaded.warnings, findings: report.findings, bind: { ...report.options.bind }, bindings: bound }, null, 2) + '\n');
      } else {
        for (const w of loaded.warnings) io.out(`${paint(io, 33, 'import ')} ${w.location}: ${w.message}\n`);
        for (const f of report.findings) io.out(`${paint(io, f.severity === 'error' ? 31 : f.severity === 'warning' ? 33 : 36, f.severity.padEnd(7))} ${f.kind.padEnd(11)} ${f.message}\n`);
        for (const line of bindingLines(report)) io.out(`${paint(io, 36, 'binding')} ${line}\n`);
        io.out(`${loaded.rules.length} rules, ${serious.length} problem(s), ${report.findings.length - serious.length} note(s)\n`);
      }
      setCode(serious.length || loaded.warnings.length ? 1 : 0);
    });

  cli
    .command('docs')
    .description('render the permission reference of a table (one section per scope)')
    .argument('[file]', 'JSON rules or an OpenAPI document; default: Dynamic\'s table')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['md', 'html']).default('md'))
    .option('-o, --output <file>', 'write to a file instead of standard output')
    .option('-t, --title <title>', 'page title')
    .action((file: string | undefined, opts: { format: 'md' | 'html'; output?: string; title?: string }) => {
      const { table, scopes } = tableFrom(io, file);
      const text = renderScopeReference(table, { format: opts.format, ...(scopes ? { scopes } : {}), ...(opts.title ? { title: opts.title } : {}) });
      if (opts.output) {
        writeFileSync(opts.output, text);
        io.err(`wrote ${opts.output}\n`);
      } else io.out(text);
      setCode(0);
    });

  cli
    .command('import-openapi')
    .description('build a route table (JSON rules) from an OpenAPI document\'s security requirements')
    .argument('<spec>', 'OpenAPI 3.0/3.1 document, JSON or YAML')
    .option('-o, --output <file>', 'write the rules to a file instead of standard output')
    .option('--scheme <name>', 'the bearer security scheme (default bearerAuth, or the only token scheme)')
    .addOption(new Option('--base-path <mode>', 'prefix paths with the server base path').choices(['strip', 'keep']).default('strip'))
    .action((spec: string, opts: { output?: string; scheme?: string; basePath: 'strip' | 'keep' }) => {
      const loaded = loadRules(spec, { scheme: opts.scheme, basePath: opts.basePath });
      if (!loaded.openapi) throw new InputError(`${spec}: not an OpenAPI document (no "openapi" field)`);
      compileFile(spec, loaded); // the imported table must compile
      const json = JSON.stringify({ rules: loaded.rules }, null, 2) + '\n';
      printWarnings(io, loaded.warnings);
      if (opts.output) {
        writeFileSync(opts.output, json);
        io.err(`wrote ${loaded.rules.length} rules to ${opts.output}\n`);
      } else io.out(json);
      // Warnings are for reading (stderr), not a failure: the rules were written.
      setCode(0);
    });

  cli
    .command('dpop-key')
    .description('generate a DPoP key pair (RFC 9449): the private JWK on stdout (or --out), its thumbprint (jkt) on stderr')
    .addOption(new Option('--alg <alg>', 'signing algorithm').choices([...DPOP_ALGORITHMS]).default('ES256'))
    .option('-o, --out <file>', 'write the private JWK to a new file (mode 0600) instead of standard output')
    .action(async (opts: { alg: DpopCliAlgorithm; out?: string }) => {
      const { privateJwk, jkt } = await generateDpopKey(opts.alg);
      const json = JSON.stringify(privateJwk, null, 2) + '\n';
      if (opts.out !== undefined) {
        try {
          // A new file only ('wx'): an existing key is never replaced; created owner-only.
          writeFileSync(opts.out, json, { mode: 0o600, flag: 'wx' });
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          throw new InputError(`${opts.out}: ${code === 'EEXIST' ? 'already exists (not overwritten)' : code === 'ENOENT' ? 'no such directory' : `cannot write (${code})`}`);
        }
        io.err(`wrote the private key to ${opts.out} (mode 0600)\n`);
      } else io.out(json);
      io.err(`jkt: ${jkt}\n`);
      setCode(0);
    });

  cli
    .command('dpop-proof')
    .description('sign a DPoP proof (RFC 9449) for one request and print it, e.g. curl -H "DPoP: $(scopegate dpop-proof ...)"')
    .requiredOption('-k, --key <file>', 'the private JWK (as dpop-key writes it)')
    .requiredOption('-m, --method <method>', 'the request method (htm), e.g. GET')
    .requiredOption('-u, --url <url>', 'the request URL (htu: query and fragment are cut off)')
    .option('--token <token>', 'the access token the request sends (ath); visible to other local users in the process list: prefer --token-file')
    .option('--token-file <file>', 'read the access token from a file (a leading "DPoP " or "Bearer " is dropped)')
    .option('--nonce <nonce>', "the server's DPoP-Nonce")
    .action(async (opts: { key: string; method: string; url: string; token?: string; tokenFile?: string; nonce?: string }) => {
      if (opts.token !== undefined && opts.tokenFile !== undefined) throw new InputError('give --token or --token-file, not both');
      const signer = await readSigningKey(opts.key, readText(opts.key));
      const token = opts.tokenFile !== undefined ? tokenFromText(opts.tokenFile, readText(opts.tokenFile)) : opts.token !== undefined ? tokenFromText('--token', opts.token) : undefined;
      const proof = await signProof(signer, { method: opts.method, url: opts.url, ...(token !== undefined ? { token } : {}), ...(opts.nonce !== undefined ? { nonce: opts.nonce } : {}) });
      io.out(`${proof}\n`);
      setCode(0);
    });

  return cli;
}

/**
 * Run the CLI; resolves to the exit code.
 *
 * @example
 * process.exitCode = await main(['check', 'GET', '/environments/e1/users', '--scopes', 'all.read', '--claim', 'environment_id=e1']);
 */
export async function main(argv: readonly string[], io?: Partial<Io>): Promise<number> {
  const full: Io = {
    out: io?.out ?? ((t) => void process.stdout.write(t)),
    err: io?.err ?? ((t) => void process.stderr.write(t)),
    color: io?.color ?? (Boolean(process.stdout.isTTY) && !process.env.NO_COLOR),
  };
  let code = 0;
  try {
    await program(full, (c) => (code = c)).parseAsync([...argv], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help asked for (--help, `help`) and --version are not errors; help shown because no
      // command was given (on stderr) and every other parse problem are usage errors.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      if (err.code === 'commander.help') return err.exitCode === 0 ? 0 : 2;
      return 2;
    }
    if (err instanceof InputError || err instanceof DpopInputError) {
      full.err(`scopegate: ${err.message}\n`);
      return 2;
    }
    full.err(`scopegate: ${(err as Error).message ?? String(err)}\n`);
    return 2;
  }
}

