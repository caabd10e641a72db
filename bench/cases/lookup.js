'use strict';
/**
 * Route lookup: scopegate's compiled table vs find-my-way 9 `find()` vs a linear scan of
 * path-to-regexp 8 `match()` functions (what Express's router does), on the Dynamic table and
 * synthetic tables of the same shape; a request mix hitting early, middle, late and no rules.
 * `runShapes` does the same on every table shape of bench/lib/table-shapes.js (wide fan-outs of
 * names sharing a prefix, a suffix or a length, generated names, deep paths, params at every
 * level, mixed segments, case-sensitive and strict tables) at 132, 1,000 and 10,000 rules, with
 * growth and compile times (build and ambiguity check apart) per shape.
 */
const FindMyWay = require('find-my-way');
const { match } = require('path-to-regexp');
const { compileRoutes } = require('@scopegate/core');
const { dynamicRoutes } = require('@scopegate/dynamic');
const { roundRatio, summarize, timeInterleaved, timeSync } = require('../lib/measure');
const { SIZES, SHAPE_NAMES, dynamicCopies, findMyWayPath, tableShape } = require('../lib/table-shapes');

/** n rules of the Dynamic shape: copies of the table under a distinct first segment. */
const synthetic = (n) => dynamicCopies(n);

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

/** A find-my-way router for a shape, or null when a pattern has no find-my-way spelling. */
function findMyWayFor(shape) {
  const paths = shape.rules.map((r) => findMyWayPath(r.path));
  if (paths.includes(null)) return null;
  return () => {
    const fmw = FindMyWay({ caseSensitive: shape.options.caseSensitive, ignoreTrailingSlash: !shape.options.strict });
    // find-my-way has no implicit HEAD: a GET rule registers HEAD too, as Express serves it
    // (Fastify's exposeHeadRoutes), unless a rule before it has that method and pattern already.
    const seen = new Set();
    shape.rules.forEach((r, i) => {
      const methods = [r.method].flat().map((m) => m.toUpperCase());
      if (methods.includes('GET') && !methods.includes('HEAD')) methods.push('HEAD');
      for (const m of methods) {
        const key = `${m} ${shape.options.caseSensitive ? paths[i] : paths[i].toLowerCase()}`;
        if (seen.has(key)) continue;
        seen.add(key);
        fmw.on(m, paths[i], () => undefined, { index: i });
      }
    });
    return fmw;
  };
}

const gc = () => globalThis.gc?.();
const elapsed = (t0) => Number(process.hrtime.bigint() - t0);

/**
 * Compile a shape `reps` times each way, alternating which goes first: scopegate's compileRoutes
 * (split into the trie build and the ambiguity check by `table.compileStats` where the core
 * reports it; else the whole compile counts as build) and find-my-way's `on()` for every rule.
 */
function timeCompile(shape, buildFmw, reps) {
  const runs = { build: [], ambiguity: [], total: [], fmw: [] };
  let table = null;
  let fmw = null;
  let split = true;
  const sg = () => {
    gc();
    const t0 = process.hrtime.bigint();
    table = compileRoutes(shape.rules, shape.options);
    const total = elapsed(t0);
    const stats = table.compileStats;
    if (stats && Number.isFinite(stats.buildNs) && Number.isFinite(stats.ambiguityNs)) {
      runs.build.push(stats.buildNs);
      runs.ambiguity.push(stats.ambiguityNs);
    } else {
      split = false;
      runs.build.push(total);
    }
    runs.total.push(total);
  };
  const fm = () => {
    gc();
    const t0 = process.hrtime.bigint();
    fmw = buildFmw();
    runs.fmw.push(elapsed(t0));
  };
  for (let i = 0; i < reps; i++) {
    if (i % 2 === 0) {
      sg();
      if (buildFmw) fm();
    } else {
      if (buildFmw) fm();
      sg();
    }
  }
  const med = (xs) => (xs.length ? summarize(xs).median : null);
  return {
    table,
    fmw,
    compile: {
      reps,
      split,
      buildNs: med(runs.build),
      ambiguityNs: split ? med(runs.ambiguity) : null,
      totalNs: med(runs.total),
      fmwNs: med(runs.fmw),
      buildVsFindMyWay: buildFmw ? roundRatio({ perRound: runs.build }, { perRound: runs.fmw }) : null,
    },
  };
}

/**
 * Every shape × size: lookup (scopegate vs find-my-way, all sizes of a shape interleaved in the
 * same rounds, so growth is a round-by-round ratio too), a linear scan of path-to-regexp
 * matchers, and compile times. `only` limits the shapes (names from bench/lib/table-shapes.js).
 */
function runShapes({ quick, only } = {}) {
  const names = only?.length ? only : SHAPE_NAMES;
  const unknown = names.filter((n) => !SHAPE_NAMES.includes(n));
  if (unknown.length) throw new Error(`unknown shape(s) ${unknown.join(', ')}; shapes: ${SHAPE_NAMES.join(', ')}`);
  const rounds = quick ? 9 : 35;
  const results = [];
  for (const name of names) {
    gc();
    const fns = {};
    const sizes = [];
    for (const size of SIZES) {
      const shape = tableShape(name, size);
      const buildFmw = findMyWayFor(shape);
      const reps = size >= 10000 ? (quick ? 3 : 5) : quick ? 5 : 9;
      const { table, fmw, compile } = timeCompile(shape, buildFmw, reps);
      const matchers = shape.rules.map((r) => ({
        methods: [r.method].flat().map((m) => m.toUpperCase()),
        test: match(r.path, { sensitive: shape.options.caseSensitive, trailing: !shape.options.strict, end: true, decode: decodeURIComponent }),
      }));
      const handles = (x, m) => x.methods.includes(m) || (m === 'HEAD' && x.methods.includes('GET'));
      const mix = shape.requests;
      // The three answer alike on the mix (a rule matched or none), or the comparison is void.
      let hits = 0;
      for (const [m, p] of mix) {
        const a = table.lookup(m, p).kind === 'match';
        const b = fmw ? fmw.find(m, p) !== null : a;
        const c = matchers.some((x) => handles(x, m) && x.test(p));
        if (a !== b || a !== c) throw new Error(`${name} ${size}: implementations disagree on ${m} ${p} (scopegate ${a}, find-my-way ${b}, scan ${c})`);
        if (a) hits++;
      }
      const n = mix.length;
      fns[`scopegate ${size}`] = (i) => table.lookup(mix[i % n][0], mix[i % n][1]);
      if (fmw) fns[`find-my-way ${size}`] = (i) => fmw.find(mix[i % n][0], mix[i % n][1]);
      const scan = timeSync(
        (i) => {
          const [m, p] = mix[i % n];
          for (const x of matchers) if (handles(x, m) && x.test(p)) return x;
          return null;
        },
        { samples: quick ? 3 : 7, batch: size > 5000 ? 8 : size > 500 ? 64 : 640, warmup: 1 },
      );
      sizes.push({ rules: size, requests: n, hits, scanNs: scan.median, compile });
    }
    // Many short rounds, one batch per function each, all sizes in the same rounds.
    const fast = timeInterleaved(fns, { rounds, samples: rounds, batch: 20000, warmup: 1 });
    const first = fast[`scopegate ${SIZES[0]}`];
    const last = fast[`scopegate ${SIZES[SIZES.length - 1]}`];
    const shape = tableShape(name, SIZES[0]);
    results.push({
      shape: name,
      description: shape.description,
      options: shape.options,
      findMyWay: fns[`find-my-way ${SIZES[0]}`] !== undefined,
      growth: roundRatio(last, first),
      sizes: sizes.map((s) => {
        const sg = fast[`scopegate ${s.rules}`];
        const fm = fast[`find-my-way ${s.rules}`];
        return {
          ...s,
          ns: { scopegate: sg.median, 'find-my-way': fm ? fm.median : null, 'linear scan': s.scanNs },
          vsFindMyWay: fm ? roundRatio(sg, fm) : null,
          vsScan: sg.median / s.scanNs,
        };
      }),
    });
  }
  return { rounds, batch: 20000, sizes: SIZES, shapes: results };
}

module.exports = { run, runShapes, synthetic };
