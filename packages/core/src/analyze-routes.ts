/**
 * Static analysis of a route table: every overlap (an error when the requirements — scopes and
 * claim bindings, a binding by the part of the path it reads — differ, unless the earlier rule
 * is the more specific: the same check `compileRoutes` enforces), rules shadowed entirely by
 * earlier ones, and patterns path-to-regexp accepts that Express would never reach with these
 * options.
 */
import { buildTable } from './compile-routes';
import { bindingsText, requirementKey, requirementText } from './rule-validation';
import type { Alternative } from './trie';
import { splitSegments } from './pattern';
import { exactAbstraction, forEachOverlap, OverlapJudge, patternIncluded, type OverlapVerdict } from './route-overlap';
import type { CompileOptions, CompiledRule, ResolvedCompileOptions, RouteRule } from './types';

/**
 * `ambiguous`: an overlap `compileRoutes` refuses (error). `contained`: rules with different
 * requirements where the earlier one is the more specific (`/users/me` before `/users/:id`): it
 * answers every request both match (info). `overlap`: an overlap with equal requirements (info).
 * `shadowed`: a rule earlier rules take every request of (warning). `unreachable`: a pattern no
 * request path can match.
 */
export type FindingKind = 'ambiguous' | 'contained' | 'overlap' | 'shadowed' | 'unreachable';

/** One thing the analysis found. */
export interface RouteFinding {
  /** `error`: `compileRoutes` refuses the table; `warning`: a rule that cannot work as written; `info`: harmless. */
  readonly severity: 'error' | 'warning' | 'info';
  readonly kind: FindingKind;
  /** Indexes of the rules concerned (the earlier first). */
  readonly rules: readonly number[];
  /** Methods concerned (HEAD included where a GET rule serves it). */
  readonly methods: readonly string[];
  readonly message: string;
}

export interface RouteAnalysis {
  readonly findings: readonly RouteFinding[];
  /** The rules as compiled (methods, requirement, `bindings` resolved with the table-wide `bind`), by index. */
  readonly rules: readonly CompiledRule[];
  /** The options, defaults filled in (`bind` is the table-wide binding map). */
  readonly options: ResolvedCompileOptions;
  /** No `error` finding: `compileRoutes` accepts the table. */
  readonly ok: boolean;
  /** One line per finding. */
  toString(): string;
}

/**
 * Analyse rules without compiling them into a table: never throws for ambiguity, reports it.
 * Invalid rules (bad pattern, method, scope, binding…) still throw `RouteConfigError`.
 *
 * Requirements are compared with their claim bindings: two overlapping rules with the same scopes
 * but different bindings (one binds `:tenant` to claim `tid`, the other does not, or to another
 * claim) are an `ambiguous` error, as `compileRoutes` refuses them — unless the earlier rule is
 * the more specific (its pattern contained in the later one's, `/users/me` before
 * `/users/:id`): then it answers every request both match, reported as `contained` (info).
 *
 * @example
 * const report = analyzeRoutes(rules, { strict: false, bind: { tenant: 'tid' } });
 * for (const f of report.findings) console.log(f.severity, f.message);
 * report.rules.filter((r) => r.bindings.length); // the rules that bind params to claims
 */
export function analyzeRoutes(rules: readonly RouteRule[], options: CompileOptions = {}): RouteAnalysis {
  const { compiled, opts, root, alternatives } = buildTable(rules, options);
  const findings: RouteFinding[] = [];
  const label = (r: CompiledRule) => `#${r.index} ${r.methods.join(',')} ${r.path}`;

  // Overlaps, once per pair of rules, judged as compileRoutes judges them: an error when any two
  // of their overlapping alternatives require different things (scopes, and bindings by the part
  // of the path they read) unless the earlier rule is the more specific there.
  const judge = new OverlapJudge(alternatives, opts);
  const pairs = new Map<string, { a: CompiledRule; b: CompiledRule; methods: Set<string>; verdicts: Set<OverlapVerdict> }>();
  forEachOverlap(root, alternatives, opts, (a, b) => {
    const key = `${a.rule.index}:${b.rule.index}`;
    let pair = pairs.get(key);
    if (!pair) pairs.set(key, (pair = { a: a.rule, b: b.rule, methods: new Set(), verdicts: new Set() }));
    for (const m of a.methods) if (b.methods.has(m)) pair.methods.add(m);
    pair.verdicts.add(judge.verdict(a, b));
    return false;
  });
  for (const { a, b, methods, verdicts } of pairs.values()) {
    const where = { rules: [a.index, b.index], methods: [...methods].sort() };
    if (verdicts.has('unreachable') || verdicts.has('partial')) {
      const tail = verdicts.has('unreachable')
        ? `; #${b.index} is never reached (#${a.index} matches every request it matches): put the more specific rule first`
        : '';
      findings.push({ severity: 'error', kind: 'ambiguous', ...where, message: ambiguityText(label(a), label(b), a, b) + tail });
    } else if (verdicts.has('contained')) {
      findings.push({
        severity: 'info',
        kind: 'contained',
        ...where,
        message:
          `${label(a)} comes before ${label(b)}, which matches every request it matches: #${a.index} answers those (${requirementText(a)}), ` +
          `#${b.index} the rest (${requirementText(b)}). Keep the specific route first wherever the routes are registered`,
      });
    } else {
      findings.push({
        severity: 'info',
        kind: 'overlap',
        ...where,
        message: `${label(a)} and ${label(b)} overlap with the same requirements (${requirementText(a)}): harmless, the earlier one answers`,
      });
    }
  }

  // Shadowed: every path and method of a rule is taken by earlier rules (exact patterns only).
  const byRule = new Map<number, Alternative[]>();
  for (const alt of alternatives) (byRule.get(alt.rule.index) ?? byRule.set(alt.rule.index, []).get(alt.rule.index)!).push(alt);
  for (const rule of compiled) {
    const mine = byRule.get(rule.index) ?? [];
    if (!mine.length || !mine.every((a) => exactAbstraction(a.tokens))) continue;
    const methods = [...mine[0]!.methods];
    const shadowers = new Set<number>();
    const covered = methods.every((m) => {
      const earlier = alternatives.filter((o) => o.rule.index < rule.index && o.methods.has(m) && exactAbstraction(o.tokens));
      if (!earlier.length) return false;
      const ok = mine.every((a) => patternIncluded(a.tokens, earlier.map((o) => o.tokens), opts));
      if (ok) for (const o of earlier) if (pairs.has(`${o.rule.index}:${rule.index}`)) shadowers.add(o.rule.index);
      return ok;
    });
    if (covered) {
      findings.push({
        severity: 'warning',
        kind: 'shadowed',
        rules: [...shadowers].sort((x, y) => x - y).concat(rule.index),
        methods,
        message: `${label(rule)} is never reached: earlier rule(s) ${[...shadowers].map((i) => `#${i}`).join(', ')} take every request it matches`,
      });
    }
  }

  // Unreachable alternatives: Express only ever matches pathnames.
  for (const rule of compiled) {
    const mine = byRule.get(rule.index) ?? [];
    const dead = mine.filter((a) => unreachable(a, opts.strict));
    if (!dead.length) continue;
    const all = dead.length === mine.length;
    findings.push({
      severity: all ? 'warning' : 'info',
      kind: 'unreachable',
      rules: [rule.index],
      methods: [...rule.methods],
      message: all
        ? `${label(rule)} can never match a request path (${reasonOf(dead[0]!, opts.strict)})`
        : `${label(rule)}: ${dead.length} of its ${mine.length} optional forms can never match a request path (${reasonOf(dead[0]!, opts.strict)})`,
    });
  }

  const order = { error: 0, warning: 1, info: 2 };
  const byRules = (x: RouteFinding, y: RouteFinding): number => {
    for (let i = 0; i < Math.min(x.rules.length, y.rules.length); i++) if (x.rules[i] !== y.rules[i]) return x.rules[i]! - y.rules[i]!;
    return x.rules.length - y.rules.length;
  };
  findings.sort((x, y) => order[x.severity] - order[y.severity] || byRules(x, y));
  return {
    findings,
    rules: compiled,
    options: opts,
    ok: !findings.some((f) => f.severity === 'error'),
    toString: () => (findings.length ? findings.map((f) => `${f.severity.padEnd(7)} ${f.kind.padEnd(11)} ${f.message}`).join('\n') : 'no findings'),
  };
}

/** Why two overlapping rules conflict: their scopes, or (same scopes) only their bindings. */
function ambiguityText(la: string, lb: string, a: CompiledRule, b: CompiledRule): string {
  const scopesOnly = (r: CompiledRule) => requirementKey({ ...r, bindings: [] });
  if (a.public || b.public || scopesOnly(a) !== scopesOnly(b)) {
    return `${la} and ${lb} can match the same requests but require ${requirementText(a)} vs ${requirementText(b)}`;
  }
  const bound = (r: CompiledRule) => (r.bindings.length ? bindingsText(r.bindings) : 'no binding');
  if (requirementKey(a) === requirementKey(b)) {
    return (
      `${la} and ${lb} can match the same requests with the same scopes and bindings by name (${requirementText(a)}), ` +
      `but a bound param is not the same part of the path in both: which value the claim must equal would depend on registration order`
    );
  }
  return (
    `${la} and ${lb} can match the same requests with the same scopes (${requirementText({ ...a, bindings: [] })}) ` +
    `but bind differently: ${bound(a)} vs ${bound(b)}`
  );
}

// Never in a pathname: `?` and `#` end it; Node's parser refuses controls and space; a request
// target is bytes, so nothing above U+00FF.
const IMPOSSIBLE = /[?#\x00-\x20\x7f\u0100-\uffff]/;

function unreachable(alt: Alternative, strict: boolean): boolean {
  return reasonOf(alt, strict) !== null;
}

function reasonOf(alt: Alternative, strict: boolean): string | null {
  if (alt.tokens.length === 0) return strict ? 'it matches only the empty path' : null;
  const { lead } = splitSegments(alt.tokens);
  if (lead.length > 0) return 'it does not start with "/"';
  for (const t of alt.tokens) if (t.type === 'text' && IMPOSSIBLE.test(t.value)) return `its text ${JSON.stringify(t.value)} holds a character no request path can carry`;
  return null;
}
