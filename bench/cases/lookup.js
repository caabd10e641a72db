'use strict';
/**
 * Route lookup: scopegate's compiled table vs find-my-way 9 `find()` vs a linear scan of
 * path-to-regexp 8 `match()` functions (what Express's router does), on the Dynamic table and
 * synthetic tables of the same shape; a request mix hitting early, middle, late and no rules.
 */
const FindMyWay = require('find-my-way');
const { match } = require('path-to-regexp');
const { compileRoutes } = require('@scopegate/core');
const { dynamicRoutes } = require('@scopegate/dynamic');
const { roundRatio, timeInterleaved, timeSync } = require('../lib/measure');

/** n rules of the Dynamic shape: copies of the table under a distinct first segment. */
function synthetic(n) {
  const rules = [];
  for (let copy = 0; rules.length < n; copy++) {
    for (const r of dynamicRoutes) {
      if (rules.length === n) break;
      rules.push({ ...r, path: copy === 0 ? r.path : `/t${copy}${r.path}` });
    }
  }
  return rules;
}

const concrete = (path) => path.replace(/:(\w+)/g, (_m, name) => `${name.slice(0, 3)}-9f2c`);

/** Early, middle and late rules (by position), and paths no rule matches. */
function requestMix(rules) {
  const at = (f) => rules[Math.min(rules.length - 1, Math.floor(f * rules.length))];
  const picks = [at(0.02), at(0.1), at(0.5), at(0.6), at(0.9), at(0.98)];
  const mix = picks.map((r) => [r.method, concrete(r.path)]);
  mix.push(['GET', '/environments/env-9f2c/nothing-here'], ['POST', '/no/such/route']);
  return mix;
}

function build(rules) {
  const t0 = process.hrtime.bigint();
  const table = compileRoutes(rules, { readAllScope: 'all.read' });
  const t1 = process.hrtime.bigint();
  const fmw = FindMyWay({ caseSensitive: false, ignoreTrailingSlash: true });
  for (const r of rules) fmw.on(r.method, r.path, () => undefined);
  const t2 = process.hrtime.bigint();
  const matchers = rules.map((r) => ({ method: r.method, test: match(r.path, { sensitive: false, trailing: true, end: true, decode: decodeURIComponent }) }));
  const t3 = process.hrtime.bigint();
  return {
    table,
    fmw,
    matchers,
    compile: { scopegate: Number(t1 - t0), 'find-my-way': Number(t2 - t1), 'linear scan': Number(t3 - t2) },
  };
}

function run({ quick }) {
  const sizes = [['dynamic (132 rules)', dynamicRoutes], ['synthetic 1,000', synthetic(1000)], ['synthetic 10,000', synthetic(10000)]];
  const results = [];
  let first = null; // the Dynamic table's lookup, timed again beside each larger one: growth
  for (const [name, rules] of sizes) {
    const { table, fmw, matchers, compile } = build(rules);
    const mix = requestMix(rules);
    // The three answer alike on the mix (same rule matched or none), or the comparison is void.
    for (const [m, p] of mix) {
      const a = table.lookup(m, p).kind === 'match';
      const b = fmw.find(m, p) !== null;
      const c = matchers.some((x) => x.method === m && x.test(p));
      if (a !== b || a !== c) throw new Error(`implementations disagree on ${m} ${p}`);
    }
    const n = mix.length;
    const fns = {
      scopegate: (i) => table.lookup(mix[i % n][0], mix[i % n][1]),
      'find-my-way': (i) => fmw.find(mix[i % n][0], mix[i % n][1]),
    };
    if (first !== null) fns['scopegate, 132 rules'] = first;
    else first = fns.scopegate;
    // Many short rounds, one batch per function each: every ratio is taken round by round.
    const rounds = quick ? 9 : 35;
    const fast = timeInterleaved(fns, { rounds, samples: rounds, batch: 20000, warmup: 1 });
    const scan = timeSync(
      (i) => {
        const [m, p] = mix[i % n];
        for (const x of matchers) if (x.method === m && x.test(p)) return x;
        return null;
      },
      { samples: quick ? 3 : 7, batch: rules.length > 5000 ? 8 : rules.length > 500 ? 80 : 800, warmup: 1 },
    );
    results.push({
      table: name,
      rules: rules.length,
      ns: { scopegate: fast.scopegate.median, 'find-my-way': fast['find-my-way'].median, 'linear scan': scan.median },
      vsFindMyWay: roundRatio(fast.scopegate, fast['find-my-way']),
      growth: fast['scopegate, 132 rules'] ? roundRatio(fast.scopegate, fast['scopegate, 132 rules']) : null,
      spread: fast,
      compileNs: compile,
    });
  }
  return results;
}

module.exports = { run, synthetic };
