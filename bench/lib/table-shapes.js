'use strict';
/**
 * Route-table shapes, shared by the lookup bench (bench/cases/lookup.js) and the property test
 * (packages/core/test/table-shapes.test.ts, through test/support/table-shapes.ts). Every table is
 * deterministic: the same name and size give the same rules and requests on every run.
 *
 * Each shape stresses one way real tables differ from the Dynamic table the bench started with:
 * a wide fan-out of static names that share a prefix, a suffix or a length (what a hash of a few
 * characters cannot tell apart), versioned and generated names, deep paths, params at every
 * level, mixed segments and wildcards, case-sensitive / strict tables, and specific rules before
 * the general ones that contain them. Every rule compiles with `compileRoutes` (rules that can
 * match the same requests carry equal scopes, or the earlier one's pattern is contained in the
 * later one's: `/users/me` before `/users/:id`) and every pattern is expressible in find-my-way 9
 * (`findMyWayPath`).
 *
 * The requests hit early, middle and late rules (by position) and miss: unknown names, one
 * character off a name, the other case where the table is case-sensitive, a wrong method, one
 * segment too many or too few, a trailing slash where the table is strict. All plain ASCII and
 * never percent-encoded, so the three routers the bench compares agree on which requests match.
 */

/**
 * @typedef {{ method: string | readonly string[], path: string, scopes?: readonly string[], description?: string }} RouteRule
 * @typedef {{ caseSensitive: boolean, strict: boolean }} ShapeOptions
 * @typedef {[method: string, path: string]} ShapeRequest
 * @typedef {{
 *   name: string,
 *   description: string,
 *   size: number,
 *   rules: RouteRule[],
 *   options: ShapeOptions,
 *   requests: ShapeRequest[],
 * }} TableShape
 * @typedef {{ next(): number, int(min: number, max: number): number, bool(): boolean, pick<T>(list: readonly T[]): T }} Random
 * @typedef {{
 *   name: string,
 *   description: string,
 *   options: ShapeOptions,
 *   rules(n: number, r: Random): RouteRule[],
 *   recaseHits?: boolean,
 * }} ShapeDefinition
 */

/** The table sizes the bench and the tests use: the Dynamic table's 132 rules, 1,000 and 10,000. */
const SIZES = [132, 1000, 10000];

/** A small seeded PRNG (mulberry32); the property tests use it too (packages/core/test/support/random.ts). @returns {Random} */
function makeRandom(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    bool: () => next() < 0.5,
    pick: (list) => list[Math.floor(next() * list.length)],
  };
}

/** FNV-1a of a string: a seed per shape and size. @param {string} text */
function seedOf(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

const pad4 = (i) => String(i).padStart(4, '0');
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const HEX = '0123456789abcdef';

/** `count` distinct strings from `make(i)`, distinct case-insensitively unless `caseSensitive`. */
function distinct(count, make, caseSensitive = false) {
  const out = [];
  const seen = new Set();
  for (let i = 0; out.length < count; i++) {
    if (i > count * 20 + 1000) throw new Error('table-shapes: cannot make enough distinct names');
    const s = make(i);
    const key = caseSensitive ? s : s.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(s);
  }
  return out;
}

const FANOUT_METHODS = ['GET', 'GET', 'POST', 'GET', 'PUT', 'GET', 'DELETE', 'GET', 'PATCH', 'GET'];
const PER_NAME = FANOUT_METHODS.length;
const scopeFor = (base, method) => [`${base}.${method === 'GET' ? 'read' : 'write'}`];

/**
 * The issue-20 table: ten rules `/<name>/items/:id/sub<j>` under each of ceil(n / 10) names (the
 * last name gets what is left), so the names are one wide fan-out. `prefix` puts it one level down.
 */
function fanOut(n, makeNames, prefix = '') {
  const names = makeNames(Math.ceil(n / PER_NAME));
  const rules = [];
  for (let k = 0; rules.length < n; k++) {
    for (let j = 0; j < PER_NAME && rules.length < n; j++) {
      const method = FANOUT_METHODS[j];
      rules.push({ method, path: `${prefix}/${names[k]}/items/:id/sub${j}`, scopes: scopeFor(`n${k}`, method) });
    }
  }
  return rules;
}

function uuid(r) {
  let s = '';
  for (let i = 0; i < 32; i++) {
    if (i === 8 || i === 12 || i === 16 || i === 20) s += '-';
    s += i === 12 ? '4' : i === 16 ? r.pick(['8', '9', 'a', 'b']) : r.pick(HEX.split(''));
  }
  return s;
}

/** Lengths 1 to 24, most short: `[a-z0-9]` first, then `[a-z0-9._-]` (`[A-Za-z…]` if `upper`). */
function randomName(r, upper) {
  const first = (upper ? LOWER + LOWER.toUpperCase() : LOWER) + DIGITS;
  const rest = first + '._-';
  const len = r.next() < 0.6 ? r.int(1, 8) : r.int(9, 24);
  let s = r.pick(first.split(''));
  for (let i = 1; i < len; i++) s += r.pick(rest.split(''));
  return s;
}

const RESOURCES = ['users', 'orders', 'items', 'invoices', 'payments'];
const DEEP_WORDS = ['org', 'team', 'project', 'env', 'service', 'resource', 'part', 'revision', 'node', 'leaf', 'tip', 'end'];
const PARAM_WORDS = ['orders', 'users', 'items', 'invoices', 'payments', 'events', 'logs', 'keys', 'roles', 'teams', 'files', 'jobs', 'runs', 'tags', 'notes', 'hooks'];

/** Dynamic's 132 rules, then copies of them under `/t<copy>` until there are n (the bench's first synthetic table). */
function dynamicCopies(n) {
  const { dynamicRoutes } = require('@scopegate/dynamic');
  if (n === dynamicRoutes.length) return [...dynamicRoutes];
  const rules = [];
  for (let copy = 0; rules.length < n; copy++) {
    for (const r of dynamicRoutes) {
      if (rules.length === n) break;
      rules.push({ ...r, path: copy === 0 ? r.path : `/t${copy}${r.path}` });
    }
  }
  return rules;
}

/** Ten rules per name, with `:file.:ext`, `report-:id.json`, `:lat-:lng`, `:year-:month.tar.gz` and trailing `*rest`. */
function mixedSegments(n, names) {
  const templates = [
    ['GET', '/files/:file.:ext'],
    ['GET', '/reports/report-:id.json'],
    ['GET', '/reports/report-:id.csv'],
    ['GET', '/geo/:lat-:lng'],
    ['GET', '/static/*rest'],
    ['GET', '/items/:id'],
    ['PUT', '/items/:id'],
    ['GET', '/items/:id/*rest'],
    ['GET', '/archive/:year-:month.tar.gz'],
    ['POST', '/upload/:file.:ext'],
  ];
  const rules = [];
  for (let k = 0; rules.length < n; k++) {
    for (const [method, tail] of templates) {
      if (rules.length === n) break;
      rules.push({ method, path: `/${names[k]}${tail}`, scopes: scopeFor(`m${k}`, method) });
    }
  }
  return rules;
}

/**
 * Ten rules per name, five pairs of a specific rule before the general one that contains it, each
 * with scopes of its own: `/users/me` before `/users/:id` (GET and PUT), `/files/readme.md`
 * (public) before `/files/*path`, `/orders/:id/items/latest` before `/orders/:id/items/:item`,
 * `/reports/summary.csv` before `/reports/:file.:ext`. Every pair needs the containment proof of
 * the ambiguity check; the first rule wins, and find-my-way's static-first order agrees.
 */
function specificFirst(n, names) {
  const templates = [
    ['GET', '/users/me', 'profile.read'],
    ['GET', '/users/:id', 'users.read'],
    ['PUT', '/users/me', 'profile.write'],
    ['PUT', '/users/:id', 'users.write'],
    ['GET', '/files/readme.md', null],
    ['GET', '/files/*path', 'files.read'],
    ['GET', '/orders/:id/items/latest', 'orders.latest'],
    ['GET', '/orders/:id/items/:item', 'orders.read'],
    ['GET', '/reports/summary.csv', 'reports.summary'],
    ['GET', '/reports/:file.:ext', 'reports.read'],
  ];
  const rules = [];
  for (let k = 0; rules.length < n; k++) {
    for (const [method, tail, scope] of templates) {
      if (rules.length === n) break;
      const path = `/${names[k]}${tail}`;
      rules.push(scope === null ? { method, path, public: true } : { method, path, scopes: [`s${k}.${scope}`] });
    }
  }
  return rules;
}

const insensitive = { caseSensitive: false, strict: false };

/** @type {ShapeDefinition[]} */
const DEFINITIONS = [
  {
    name: 'dynamic',
    description: "Dynamic's 132 rules; larger sizes copy them under /t<copy> (the bench's first synthetic table)",
    options: insensitive,
    rules: (n) => dynamicCopies(n),
  },
  {
    name: 'shared-prefix',
    description: '/<name>/items/:id/sub<j>, names tenant-0000…: one prefix, one length (issue 20)',
    options: insensitive,
    recaseHits: true,
    rules: (n) => fanOut(n, (c) => Array.from({ length: c }, (_, i) => `tenant-${pad4(i)}`)),
  },
  {
    name: 'shared-suffix',
    description: '/<name>/items/:id/sub<j>, names 0000-tenant…: one suffix, one length',
    options: insensitive,
    recaseHits: true,
    rules: (n) => fanOut(n, (c) => Array.from({ length: c }, (_, i) => `${pad4(i)}-tenant`)),
  },
  {
    name: 'same-length',
    description: '/<name>/items/:id/sub<j>, names cluster-0000-east…: one length, differing in the middle',
    options: insensitive,
    recaseHits: true,
    rules: (n) => fanOut(n, (c) => Array.from({ length: c }, (_, i) => `cluster-${pad4(i)}-east`)),
  },
  {
    name: 'versioned',
    description: '/v<k>/<resource> and /v<k>/<resource>/:id, v1…v1000',
    options: insensitive,
    recaseHits: true,
    rules: (n) => {
      const rules = [];
      for (let k = 1; rules.length < n; k++) {
        for (let j = 0; j < 10 && rules.length < n; j++) {
          const res = RESOURCES[j >> 1];
          const method = j % 4 === 3 ? 'PUT' : 'GET';
          rules.push({ method, path: j % 2 === 0 ? `/v${k}/${res}` : `/v${k}/${res}/:${res.slice(0, -1)}Id`, scopes: scopeFor(res, method) });
        }
      }
      return rules;
    },
  },
  {
    name: 'uuid',
    description: '/tenants/<uuid>/items/:id/sub<j>: generated hex ids, one length, dashes in place',
    options: insensitive,
    recaseHits: true,
    rules: (n, r) => fanOut(n, (c) => distinct(c, () => uuid(r)), '/tenants'),
  },
  {
    name: 'random',
    description: '/<name>/items/:id/sub<j>, random [a-z0-9._-] names of 1–24 characters',
    options: insensitive,
    recaseHits: true,
    rules: (n, r) => fanOut(n, (c) => distinct(c, () => randomName(r, false))),
  },
  {
    name: 'deep',
    description: '8–12 segments, a param every third, static fan-out of 6 per level',
    options: insensitive,
    recaseHits: true,
    rules: (n) => {
      const rules = [];
      for (let i = 0; i < n; i++) {
        const depth = 8 + (i % 5);
        let j = Math.floor(i / 5);
        const segs = [];
        for (let l = 0; l < depth; l++) {
          if (l % 3 === 2) segs.push(`:${DEEP_WORDS[l]}Id`);
          else {
            segs.push(`${DEEP_WORDS[l]}${j % 6}`);
            j = Math.floor(j / 6);
          }
        }
        const method = ['GET', 'GET', 'POST', 'PUT', 'DELETE'][Math.floor(i / 5) % 5];
        rules.push({ method, path: '/' + segs.join('/'), scopes: scopeFor('deep', method) });
      }
      return rules;
    },
  },
  {
    name: 'params',
    description: 'a param child at every level: /<root>/:p1/orders/:p3… (2–5 params per rule) beside /:p0/<word>',
    options: insensitive,
    recaseHits: true,
    rules: (n) => {
      // Families of ten rules under a static root, params at every level below it and one static
      // word (or none) at any of them; every 25th rule is /:p0/<word> instead, a param beside the
      // roots. Rules overlap only within a family (equal scopes there): a table where every rule
      // overlaps every other makes the ambiguity check quadratic, which is not what this measures.
      const rules = [];
      for (let k = 0; rules.length < n; k++) {
        for (let j = 0; j < 10 && rules.length < n; j++) {
          const i = rules.length;
          if (i % 25 === 24) {
            rules.push({ method: 'GET', path: `/:p0/${PARAM_WORDS[i % PARAM_WORDS.length]}${i}`, scopes: ['params.root'] });
            continue;
          }
          const depth = 3 + (j % 4);
          const at = j < 2 ? -1 : 1 + (j % (depth - 1));
          const segs = Array.from({ length: depth }, (_, l) => (l === 0 ? `acct${k}` : l === at ? PARAM_WORDS[j] : `:p${l}`));
          rules.push({ method: j % 3 === 2 ? 'POST' : 'GET', path: '/' + segs.join('/'), scopes: [`acct${k}.any`] });
        }
      }
      return rules;
    },
  },
  {
    name: 'mixed',
    description: '/<name>/files/:file.:ext, report-:id.json, :lat-:lng, :year-:month.tar.gz, trailing *rest',
    options: insensitive,
    rules: (n, r) => mixedSegments(n, distinct(Math.ceil(n / 10), () => randomName(r, false).replace(/[._-]/g, 'x'))),
  },
  {
    name: 'specific-first',
    description: '/<name>/users/me before /users/:id, readme.md before *path, …/latest before :item, summary.csv before :file.:ext: other scopes each',
    options: insensitive,
    recaseHits: true,
    rules: (n, r) => specificFirst(n, distinct(Math.ceil(n / 10), () => randomName(r, false).replace(/[._-]/g, 'x'))),
  },
  {
    name: 'shared-prefix-cs',
    description: 'shared-prefix, case-sensitive: re-cased names miss',
    options: { caseSensitive: true, strict: false },
    rules: (n) => fanOut(n, (c) => Array.from({ length: c }, (_, i) => `tenant-${pad4(i)}`)),
  },
  {
    name: 'random-cs-strict',
    description: 'random names with upper case, case-sensitive and strict; names differing only in case',
    options: { caseSensitive: true, strict: true },
    rules: (n, r) =>
      fanOut(n, (c) => {
        // Every fifth name is the one before it re-cased (when that differs): `Ab-x` and `aB-X`.
        let last = '';
        return distinct(c, (i) => {
          const twin = i % 5 === 4 && /[a-z]/i.test(last) ? swapCase(last) : '';
          last = twin || randomName(r, true);
          return last;
        }, true);
      }),
  },
  {
    name: 'mixed-cs',
    description: 'mixed, case-sensitive',
    options: { caseSensitive: true, strict: false },
    rules: (n, r) => mixedSegments(n, distinct(Math.ceil(n / 10), () => randomName(r, true).replace(/[._-]/g, 'x'), true)),
  },
];

function swapCase(s) {
  return s.replace(/[a-z]/gi, (c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()));
}

/** The shape names, in the order the bench prints them. */
const SHAPE_NAMES = DEFINITIONS.map((d) => d.name);

/** A param value: letters and digits only, so `:a-:b` and `:file.:ext` split where the pattern says. */
function paramValue(r) {
  return r.pick(['42', '7', 'x7f3', 'abc', '2024', 'e1', 'k9z', '0001', 'q']);
}

/** The pattern with its params and wildcards filled in: a path the rule matches. */
function concrete(pattern, r) {
  return pattern.replace(/:(\w+)/g, () => paramValue(r)).replace(/\*(\w+)/g, () => Array.from({ length: r.int(1, 3) }, () => paramValue(r)).join('/'));
}

/** Path segments (no leading empty one). */
const segmentsOf = (path) => path.split('/').slice(1);
const isStatic = (seg) => !/[:*{]/.test(seg);
const methodsOf = (rule) => [rule.method].flat().map((m) => m.toUpperCase());

/**
 * Requests over `rules`: hits on rules spread over the table (early, middle, late, some as HEAD,
 * some re-cased where the table is case-insensitive), near-misses (a name one character off, the
 * other case where case-sensitive) and misses (unknown name, wrong method, a segment too many or
 * too few, a trailing slash where strict).
 * @param {RouteRule[]} rules @param {ShapeOptions} options @param {Random} r @param {number} count
 * @param {boolean} recaseHits
 * @returns {ShapeRequest[]}
 */
function makeRequests(rules, options, r, count, recaseHits) {
  const fold = (s) => (options.caseSensitive ? s : s.toLowerCase());
  // The static texts at each depth, and the depth with the most: where near-misses are made.
  /** @type {Map<number, Set<string>>} */
  const statics = new Map();
  for (const rule of rules) {
    segmentsOf(rule.path).forEach((seg, d) => {
      if (!isStatic(seg)) return;
      if (!statics.has(d)) statics.set(d, new Set());
      statics.get(d).add(fold(seg));
    });
  }
  const widest = (segs) => {
    let best = -1;
    segs.forEach((seg, d) => {
      if (isStatic(seg) && (best < 0 || statics.get(d).size > statics.get(best).size)) best = d;
    });
    return best;
  };
  const n = rules.length;
  const hits = Math.round(count / 2);
  const nearMisses = Math.round(count / 4);
  const misses = count - hits - nearMisses;
  /** Stratified over the table: rule positions from first to last. */
  const ruleAt = (i, of) => rules[Math.min(n - 1, Math.floor(((i + r.next()) / of) * n))];
  /** @type {ShapeRequest[]} */
  const out = [];

  for (let i = 0; i < hits; i++) {
    const rule = ruleAt(i, hits);
    let method = r.pick(methodsOf(rule));
    if (method === 'GET' && i % 8 === 5) method = 'HEAD';
    let path = concrete(rule.path, r);
    if (recaseHits && !options.caseSensitive && i % 6 === 1) path = i % 12 === 1 ? path.toUpperCase() : swapCase(path);
    out.push([method, path]);
  }

  for (let i = 0; i < nearMisses; i++) {
    const rule = ruleAt(i, nearMisses);
    const method = methodsOf(rule)[0];
    const segs = segmentsOf(rule.path);
    const d = widest(segs);
    const path = segmentsOf(concrete(rule.path, r));
    if (d < 0) {
      out.push([method, '/' + path.join('/') + 'x']);
      continue;
    }
    const word = segs[d];
    let changed = null;
    if (options.caseSensitive && i % 2 === 1 && /[a-z]/i.test(word)) {
      changed = i % 4 === 1 ? swapCase(word) : word.toUpperCase() === word ? word.toLowerCase() : word.toUpperCase();
    }
    // One character changed, to one that makes no name at this depth (bounded tries).
    const alphabet = (LOWER + DIGITS + '-').split('');
    for (let tries = 0; changed === null && tries < 50; tries++) {
      const at = r.int(0, word.length - 1);
      const c = r.pick(alphabet);
      const candidate = word.slice(0, at) + c + word.slice(at + 1);
      if (!statics.get(d).has(fold(candidate))) changed = candidate;
    }
    path[d] = changed ?? `${word}~`;
    out.push([method, '/' + path.join('/')]);
  }

  for (let i = 0; i < misses; i++) {
    const rule = ruleAt(i, misses);
    const path = concrete(rule.path, r);
    const kind = i % (options.strict ? 5 : 4);
    if (kind === 0) out.push(['GET', `/no-such-${i}` + path.slice(path.indexOf('/', 1) < 0 ? path.length : path.indexOf('/', 1))]);
    else if (kind === 1) out.push([methodsOf(rule).includes('DELETE') ? 'OPTIONS' : 'DELETE', path]);
    else if (kind === 2) out.push([methodsOf(rule)[0], `${path}/extra-${i}`]);
    else if (kind === 3) out.push([methodsOf(rule)[0], path.slice(0, path.lastIndexOf('/')) || '/']);
    else out.push([methodsOf(rule)[0], `${path}/`]);
  }
  return out;
}

/**
 * One table: a shape at a size. `requests` (default 64) sets how many requests come with it.
 * @param {string} name @param {number} size @param {{ requests?: number }} [opts]
 * @returns {TableShape}
 */
function tableShape(name, size, opts = {}) {
  const def = DEFINITIONS.find((d) => d.name === name);
  if (!def) throw new Error(`table-shapes: no shape ${JSON.stringify(name)} (shapes: ${SHAPE_NAMES.join(', ')})`);
  if (!(Number.isInteger(size) && size > 0 && size <= 100000)) throw new Error(`table-shapes: bad size ${size}`);
  const r = makeRandom(seedOf(`${name}/${size}`));
  const rules = def.rules(size, r);
  if (rules.length !== size) throw new Error(`table-shapes: ${name} made ${rules.length} rules, not ${size}`);
  const requests = makeRequests(rules, def.options, makeRandom(seedOf(`${name}/${size}/requests`)), opts.requests ?? 64, def.recaseHits === true);
  return { name, description: def.description, size, rules, options: { ...def.options }, requests };
}

/** Every shape at every size in `sizes` (default SIZES), shape by shape. @returns {TableShape[]} */
function tableShapes(sizes = SIZES, opts = {}) {
  return DEFINITIONS.flatMap((d) => sizes.map((s) => tableShape(d.name, s, opts)));
}

/**
 * The pattern as find-my-way 9 writes it (`*rest` at the end becomes `*`), or null when it has
 * no find-my-way equivalent (an `{optional}` group, a wildcard before the end, a named regexp).
 * @param {string} pattern @returns {string | null}
 */
function findMyWayPath(pattern) {
  if (/[{}()?+!\\]/.test(pattern)) return null;
  const star = pattern.indexOf('*');
  if (star < 0) return pattern;
  if (!/^\*\w+$/.test(pattern.slice(star)) || pattern[star - 1] !== '/') return null;
  return pattern.slice(0, star + 1);
}

module.exports = { SIZES, SHAPE_NAMES, tableShape, tableShapes, findMyWayPath, makeRandom, seedOf, dynamicCopies };
