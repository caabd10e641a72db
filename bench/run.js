'use strict';
/**
 * `npm run bench [-- --quick] [-- --only=lookup,verify,http]`: every figure next to its peers as a
 * ratio measured in this run; the table printed, and bench/results/latest.json written.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { formatNs } = require('./lib/measure');

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = (args.find((a) => a.startsWith('--only=')) ?? '--only=lookup,verify,http').slice(7).split(',');

const rows = [];
const row = (caseName, value, peer, ratio, goal) => {
  const ok = goal ? (goal.op === '<=' ? ratio <= goal.x : ratio >= goal.x) : null;
  rows.push({ case: caseName, value, peer, ratio, goal: goal ? `${goal.op === '<=' ? '≤' : '≥'} ${goal.x}×` : '', ok });
};

async function main() {
  const started = Date.now();
  const out = { machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, memoryGB: Math.round(os.totalmem() / 2 ** 30) }, quick, date: new Date().toISOString() };

  if (only.includes('lookup')) {
    const lookup = require('./cases/lookup').run({ quick });
    out.lookup = lookup;
    for (const r of lookup) {
      row(`lookup ${r.table}`, formatNs(r.ns.scopegate), `find-my-way ${formatNs(r.ns['find-my-way'])}`, r.ns.scopegate / r.ns['find-my-way'], r.rules !== 1000 ? { op: '<=', x: 0.8 } : null);
      row(`lookup ${r.table}`, formatNs(r.ns.scopegate), `linear scan ${formatNs(r.ns['linear scan'])}`, r.ns.scopegate / r.ns['linear scan'], null);
      row(`compile ${r.table}`, formatNs(r.compileNs.scopegate), `find-my-way ${formatNs(r.compileNs['find-my-way'])}`, r.compileNs.scopegate / r.compileNs['find-my-way'], null);
    }
    const small = lookup[0].ns.scopegate;
    const big = lookup[lookup.length - 1].ns.scopegate;
    row('lookup growth 10,000 vs 132 rules', formatNs(big), `132 rules ${formatNs(small)}`, big / small, { op: '<=', x: 1.5 });
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
    const f = verify.flood;
    row(`cache flood: ${f.tokens.toLocaleString('en')} distinct tokens`, `${f.cacheSize} entries, heap ${f.heapGrowthMB >= 0 ? '+' : ''}${f.heapGrowthMB.toFixed(1)} MB`, `replay hit rate ${(f.replayHitRate * 100).toFixed(0)}% (expect 50%)`, f.replayHitRate, null);
  }

  if (only.includes('http')) {
    const h = await require('./cases/http').run({ quick });
    out.http = h;
    const fmt = (x) => `${Math.round(x.rps)} req/s p50 ${x.p50} ms p99 ${x.p99} ms`;
    row('http express bare', fmt(h.bare), '', null, null);
    row('http scopeGate vs no-op middleware', fmt(h.scopegate), `no-op ${fmt(h.noop)}`, h.scopegate.rps / h.noop.rps, { op: '>=', x: 0.97 });
    row('http scopeGate vs express-oauth2-jwt-bearer', fmt(h.scopegate), `auth0 ${fmt(h.auth0)}`, h.scopegate.rps / h.auth0.rps, { op: '>=', x: 2 });
    row('http gateway vs upstream direct', fmt(h.gateway), `direct ${fmt(h['upstream direct'])}`, h.gateway.rps / h['upstream direct'].rps, { op: '>=', x: 0.8 });
    row('http proxy alone vs upstream direct (ceiling)', fmt(h.proxy), `direct ${fmt(h['upstream direct'])}`, h.proxy.rps / h['upstream direct'].rps, null);
    row('http gateway vs proxy alone', fmt(h.gateway), `proxy ${fmt(h.proxy)}`, h.gateway.rps / h.proxy.rps, null);
    const bad = Object.entries(h).filter(([, x]) => x.non2xx || x.errors);
    if (bad.length) throw new Error(`HTTP cases answered errors: ${JSON.stringify(bad)}`);
  }

  out.rows = rows;
  out.seconds = (Date.now() - started) / 1000;
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'latest.json'), JSON.stringify(out, null, 2));

  const w = [44, 36, 52, 9, 8];
  const line = (cells) => cells.map((c, i) => String(c).padEnd(w[i])).join(' ');
  console.log(`machine: ${out.machine.cpus} × ${out.machine.model}, ${out.machine.memoryGB} GB, node ${out.machine.node}${quick ? ' (quick)' : ''}`);
  console.log(line(['case', 'scopegate', 'peer', 'ratio', 'goal']));
  for (const r of rows) console.log(line([r.case, r.value, r.peer, r.ratio === null ? '' : `${r.ratio.toFixed(3)}×`, r.goal + (r.ok === null ? '' : r.ok ? ' ✓' : ' ✗')]));
  console.log(`${rows.filter((r) => r.ok === false).length} goal(s) missed; ${out.seconds.toFixed(0)} s; results in bench/results/latest.json`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
