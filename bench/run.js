'use strict';
/**
 * `npm run bench [-- --quick] [-- --only=lookup,verify,http] [-- --http=noop,scopegate] [-- --rounds=N] [-- --shapes=a,b]`:
 * every figure next to its peers as a ratio measured in this run; the table printed, and
 * bench/results/latest.json written. `--http` picks HTTP modes (to rerun one pair), `--rounds`
 * sets the HTTP rounds of fresh servers (default 3, 1 with --quick). HTTP servers run on CPUs 1…N and the load
 * generator on CPU 0 (taskset, where there is more than one CPU; BENCH_NO_PIN=1 turns it off).
 * `lookup` also runs every table shape of bench/lib/table-shapes.js at 132, 1,000 and 10,000
 * rules and prints a table per shape; `--shapes=shared-prefix,deep` limits it to those shapes.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { formatNs } = require('./lib/measure');

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = (args.find((a) => a.startsWith('--only=')) ?? '--only=lookup,verify,http').slice(7).split(',');
const httpModes = args.find((a) => a.startsWith('--http='))?.slice(7).split(',');
const roundsArg = args.find((a) => a.startsWith('--rounds='));
const rounds = roundsArg ? Number(roundsArg.slice(9)) : undefined;
const shapesArg = args.find((a) => a.startsWith('--shapes='))?.slice(9).split(',').filter(Boolean);
if (rounds !== undefined && !(Number.isInteger(rounds) && rounds > 0 && rounds <= 100)) throw new Error('--rounds must be an integer from 1 to 100');

const rows = [];
const row = (caseName, value, peer, ratio, goal) => {
  const ok = goal ? (goal.op === '<=' ? ratio <= goal.x : ratio >= goal.x) : null;
  rows.push({ case: caseName, value, peer, ratio, goal: goal ? `${goal.op === '<=' ? '≤' : '≥'} ${Number(goal.x.toFixed(3))}×` : '', ok });
};

async function main() {
  const started = Date.now();
  const out = { machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, memoryGB: Math.round(os.totalmem() / 2 ** 30) }, quick, date: new Date().toISOString() };

  if (only.includes('lookup')) {
    const lookup = require('./cases/lookup').run({ quick });
    out.lookup = lookup;
    const range = (x) => ` (rounds ${x.min.toFixed(2)}–${x.max.toFixed(2)})`;
    for (const r of lookup) {
      row(`lookup ${r.table}`, formatNs(r.ns.scopegate), `find-my-way ${formatNs(r.ns['find-my-way'])}${range(r.vsFindMyWay)}`, r.vsFindMyWay.ratio, r.rules !== 1000 ? { op: '<=', x: 0.8 } : null);
      row(`lookup ${r.table}`, formatNs(r.ns.scopegate), `linear scan ${formatNs(r.ns['linear scan'])}`, r.ns.scopegate / r.ns['linear scan'], null);
      row(`compile ${r.table}`, formatNs(r.compileNs.scopegate), `find-my-way ${formatNs(r.compileNs['find-my-way'])}`, r.compileNs.scopegate / r.compileNs['find-my-way'], null);
    }
    // Timed beside the 10,000-rule table, round by round: the machine's drift between the two
    // tables' runs cannot pass for growth.
    const big = lookup[lookup.length - 1];
    row('lookup growth 10,000 vs 132 rules', formatNs(big.ns.scopegate), `132 rules, same rounds ${formatNs(big.spread['scopegate, 132 rules'].median)}${range(big.growth)}`, big.growth.ratio, { op: '<=', x: 1.5 });

    const shapes = require('./cases/lookup').runShapes({ quick, only: shapesArg });
    out.lookupShapes = shapes;
    shapeGoals(shapes, range);
  }

  if (only.includes('verify')) {
    const verify = await require('./cases/verify').run({ quick });
    out.verify = verify;
    const es = verify.rows.find((r) => r.alg === 'ES256');
    for (const r of verify.rows) {
      row(`verify ${r.alg} cache miss`, formatNs(r.ns['scopegate miss']), `jose ${formatNs(r.ns['jose jwtVerify'])}`, r.ns['scopegate miss'] / r.ns['jose jwtVerify'], null);
      row(`verify ${r.alg} cache hit`, formatNs(r.ns['scopegate hit']), `jose ${formatNs(r.ns['jose jwtVerify'])}`, r.ns['scopegate hit'] / r.ns['jose jwtVerify'], r.alg === 'ES256' ? { op: '<=', x: 0.02 } : null);
    }
    row('verify cache hit ≤ 1 µs', formatNs(es.ns['scopegate hit']), '1 µs', es.ns['scopegate hit'] / 1000, { op: '<=', x: 1 });
    for (const d of verify.dpop) {
      const ours = d.ns['scopegate DPoP check (cached token)'];
      const jose = d.ns['jose jwtVerify of the proof'];
      row(`DPoP ${d.alg} proof, cached token`, formatNs(ours), `jose jwtVerify of the proof ${formatNs(jose)}`, ours / jose, null);
    }
    const f = verify.flood;
    row(`cache flood: ${f.tokens.toLocaleString('en')} distinct tokens`, `${f.cacheSize} entries, heap ${f.heapGrowthMB >= 0 ? '+' : ''}${f.heapGrowthMB.toFixed(1)} MB`, `replay hit rate ${(f.replayHitRate * 100).toFixed(0)}% (expect 50%)`, f.replayHitRate, null);
  }

  if (only.includes('http')) {
    const h = await require('./cases/http').run({ quick, modes: httpModes, rounds });
    out.http = h;
    const m = h.modes;
    const fmt = (x) => `${Math.round(x.rps)} req/s p50 ${x.p50} ms p99 ${x.p99} ms`;
    const cpu = (x) => `${x.cpuUs.toFixed(1)} µs CPU/req`;
    const ratio = (a, b) => h.ratios.find((r) => r.case === a && r.peer === b);
    const many = h.rounds * h.turns > 1;
    const spread = (r) => ` (turns ${r.min.toFixed(2)}–${r.max.toFixed(2)})`;
    // `cpuGoal`: on the peer's CPU per request over the case's (≥ 1/1.2: at most 1.2× the CPU).
    const pair = (name, a, b, goal, cpuGoal = null) => {
      const r = ratio(a, b);
      if (!r) return; // a mode left out with --http=
      row(name, fmt(m[a]), `${b} ${fmt(m[b])}${many ? spread(r) : ''}`, r.ratio, goal);
      const cpuSpread = many ? ` (turns ${r.cpuMin.toFixed(2)}–${r.cpuMax.toFixed(2)})` : '';
      row(`  same, by server CPU per request`, cpu(m[a]), `${b} ${cpu(m[b])}${cpuSpread}`, r.cpuRatio, cpuGoal);
    };
    if (m.bare) row('http express bare', fmt(m.bare), '', null, null);
    // A/A: two identical no-op apps. How far from 1.000 this lands is the method's own spread.
    pair('http A/A check: no-op app vs a second one', 'noop again', 'noop', null);
    pair('http scopeGate vs no-op middleware', 'scopegate', 'noop', { op: '>=', x: 0.97 });
    if (h.gateProfile) {
      // The same question without the machine's noise: what the gate costs its server beyond the
      // no-op middleware, from V8 profiles of both under load (see profileMiddleware).
      const g = h.gateProfile;
      const pct = (x) => `${(x * 100).toFixed(1)}%`;
      const range = g.rounds > 1 ? ` (rounds ${pct(g.extraMin)}–${pct(g.extraMax)})` : '';
      row('  scopeGate’s extra CPU over the no-op (profiled)', `${pct(g.extra)}${range}`, `own ${pct(g.gate.share)} + GC ${pct(g.gate.gcShare)} × ${pct(g.gate.allocShare)} of bytes; no-op ${pct(g.noop.share + g.noop.gcPart)}`, 1 - g.extra, { op: '>=', x: 0.97 });
    }
    pair('http scopeGate vs express-oauth2-jwt-bearer', 'scopegate', 'auth0', { op: '>=', x: 2 });
    pair('http gateway vs bare proxy (node:http + undici)', 'gateway', 'bare-proxy', { op: '>=', x: 0.85 }, { op: '>=', x: 1 / 1.2 });
    pair('http gateway, no access log, vs bare proxy', 'gateway-quiet', 'bare-proxy', null);
    pair('http gateway vs upstream direct', 'gateway', 'upstream direct', { op: '>=', x: 0.5 });
    pair('http bare proxy vs upstream direct', 'bare-proxy', 'upstream direct', null);
    pair('http node:http + http.request proxy vs upstream direct', 'node-proxy', 'upstream direct', null);
    const bad = Object.entries(m).filter(([, x]) => x.non2xx || x.errors);
    if (bad.length) throw new Error(`HTTP cases answered errors: ${JSON.stringify(bad)}`);
  }

  out.rows = rows;
  out.seconds = (Date.now() - started) / 1000;
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'latest.json'), JSON.stringify(out, null, 2));

  if (out.lookupShapes) printShapes(out.lookupShapes);
  const w = [44, 36, 52, 9, 8];
  const line = (cells) => cells.map((c, i) => String(c).padEnd(w[i])).join(' ');
  console.log(`machine: ${out.machine.cpus} × ${out.machine.model}, ${out.machine.memoryGB} GB, node ${out.machine.node}${quick ? ' (quick)' : ''}`);
  if (out.http) console.log(out.http.pinned ? `http: load generator pinned to CPU 0, servers to CPUs 1–${out.machine.cpus - 1}` : 'http: processes not pinned (one CPU, no taskset, or BENCH_NO_PIN set)');
  console.log(line(['case', 'scopegate', 'peer', 'ratio', 'goal']));
  for (const r of rows) console.log(line([r.case, r.value, r.peer, r.ratio === null ? '' : `${r.ratio.toFixed(3)}×`, r.goal + (r.ok === null ? '' : r.ok ? ' ✓' : ' ✗')]));
  console.log(`${rows.filter((r) => r.ok === false).length} goal(s) missed; ${out.seconds.toFixed(0)} s; results in bench/results/latest.json`);
}

/** Goals over all shapes; each shape's figures are in the per-shape tables. */
const GOALS = { lookup: 0.8, growth: 1.5, build: 1.0 };
const big = (s) => s.sizes[s.sizes.length - 1];
const fmt = (n) => n.toLocaleString('en');

function shapeGoals({ shapes }, range) {
  const worst = (items, key) => items.filter((x) => key(x)).reduce((a, b) => (key(b).ratio > key(a).ratio ? b : a), items.find((x) => key(x)));
  const sized = shapes.flatMap((s) => s.sizes.map((z) => ({ shape: s, size: z })));
  const w = worst(sized, (x) => x.size.vsFindMyWay);
  if (w) {
    row(`lookup, worst shape: ${w.shape.shape} ${fmt(w.size.rules)}`, formatNs(w.size.ns.scopegate), `find-my-way ${formatNs(w.size.ns['find-my-way'])}${range(w.size.vsFindMyWay)}`, w.size.vsFindMyWay.ratio, { op: '<=', x: GOALS.lookup });
  }
  const g = worst(shapes, (s) => s.growth);
  row(`growth 10,000 vs 132, worst: ${g.shape}`, formatNs(big(g).ns.scopegate), `132 rules, same rounds ${formatNs(g.sizes[0].ns.scopegate)}${range(g.growth)}`, g.growth.ratio, { op: '<=', x: GOALS.growth });
  const c = worst(shapes, (s) => big(s).compile.buildVsFindMyWay);
  if (c) {
    const cc = big(c).compile;
    const what = cc.split ? 'build' : 'whole compile: no compileStats';
    row(`build 10,000, worst shape: ${c.shape}`, `${formatNs(cc.buildNs)} (${what})`, `find-my-way ${formatNs(cc.fmwNs)} (reps ${cc.buildVsFindMyWay.min.toFixed(2)}–${cc.buildVsFindMyWay.max.toFixed(2)})`, cc.buildVsFindMyWay.ratio, { op: '<=', x: GOALS.build });
  }
}

/** The per-shape tables: lookup with growth, then compile. */
function printShapes({ shapes, rounds, batch }) {
  const pad = (cells, w) => cells.map((c, i) => (i < 2 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join('  ');
  const mark = (ok) => (ok ? '✓' : '✗');
  const x = (r) => `${r.ratio.toFixed(2)}× (${r.min.toFixed(2)}–${r.max.toFixed(2)})`;
  const lw = [17, 6, 10, 11, 23, 4, 11, 22, 4];
  console.log(`\nlookup per shape: ns per lookup, median of ${rounds} rounds × ${fmt(batch)} lookups; ratio = median of the per-round ratios (min–max over rounds)`);
  console.log(pad(['shape', 'rules', 'scopegate', 'find-my-way', 'vs find-my-way', `≤${GOALS.lookup.toFixed(1)}`, 'linear scan', 'growth vs 132', `≤${GOALS.growth.toFixed(1)}`], lw));
  for (const s of shapes) {
    s.sizes.forEach((z, i) => {
      const last = i === s.sizes.length - 1;
      const vs = z.vsFindMyWay ? x(z.vsFindMyWay) : `${z.vsScan.toFixed(4)}× scan`;
      const ok = z.vsFindMyWay ? mark(z.vsFindMyWay.ratio <= GOALS.lookup) : '';
      const fm = z.ns['find-my-way'] === null ? 'n/a' : formatNs(z.ns['find-my-way']);
      console.log(pad([i === 0 ? s.shape : '', fmt(z.rules), formatNs(z.ns.scopegate), fm, vs, ok, formatNs(z.ns['linear scan']), last ? x(s.growth) : '', last ? mark(s.growth.ratio <= GOALS.growth) : ''], lw));
    });
    if (!s.findMyWay) console.log(`  ${s.shape}: a pattern has no find-my-way spelling; compared with the linear scan only`);
  }
  const cw = [17, 6, 10, 10, 10, 11, 19, 4];
  const reps = shapes[0]?.sizes.map((z) => z.compile.reps).join('/');
  const split = shapes.every((s) => s.sizes.every((z) => z.compile.split));
  console.log(`\ncompile per shape: median of ${reps} builds per size${split ? '' : '; table.compileStats missing: build = the whole compileRoutes (ambiguity check included)'}`);
  console.log(pad(['shape', 'rules', 'build', 'ambiguity', 'total', 'find-my-way', 'build vs fmw', `≤${GOALS.build.toFixed(1)}`], cw));
  for (const s of shapes) {
    s.sizes.forEach((z, i) => {
      const c = z.compile;
      const last = i === s.sizes.length - 1;
      console.log(
        pad(
          [
            i === 0 ? s.shape : '',
            fmt(z.rules),
            formatNs(c.buildNs),
            c.ambiguityNs === null ? 'n/a' : formatNs(c.ambiguityNs),
            formatNs(c.totalNs),
            c.fmwNs === null ? 'n/a' : formatNs(c.fmwNs),
            c.buildVsFindMyWay ? x(c.buildVsFindMyWay) : '',
            last && c.buildVsFindMyWay ? mark(c.buildVsFindMyWay.ratio <= GOALS.build) : '',
          ],
          cw,
        ),
      );
    });
  }
  console.log('');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
