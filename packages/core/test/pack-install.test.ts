/**
 * The packages as a user gets them: `npm pack` every publishable package (from the built `dist/`,
 * which `npm test` builds first), install the tarballs into scratch apps in the system's temp
 * directory, outside the repo, and use them there:
 *
 * - each tarball holds its README, LICENSE, entry points, a declaration for every module, the
 *   sources its maps point to, and nothing stale;
 * - an ES module TypeScript app (NodeNext, strict) and a CommonJS JavaScript app load all six
 *   packages, find every value export the sources declare, and serve real HTTP requests through
 *   `scopeGate` on 127.0.0.1 (200, 401, 403);
 * - every export the sources declare (values and types) is imported by name, type-checked with
 *   the repo's TypeScript, strict and without skipLibCheck, under `module`/`moduleResolution`
 *   node16 (CommonJS and ES module apps), nodenext (both), bundler (module esnext) and node10;
 *   the ES module apps also check that core's JOSE types are interchangeable with jose's;
 * - the `scopegate` binary answers `check`.
 *
 * Installing needs the npm registry (or npm's cache): `--prefer-offline`, bounded by a timeout.
 * The temp directory is removed afterwards.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import ts from 'typescript';

const root = join(__dirname, '..', '..', '..');
const packages = ['core', 'dynamic', 'express', 'openapi', 'cli', 'redis'] as const;
type Name = (typeof packages)[number];
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

// ---------------------------------------------------------------------------------------------
// What the sources export: the contract the packed packages must keep.

interface Exports {
  values: string[];
  types: string[];
}

/** The names `packages/<name>/src/index.ts` exports, split into values and type-only names. */
function sourceExports(name: Name): Exports {
  const file = join(root, 'packages', name, 'src', 'index.ts');
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out: Exports = { values: [], types: [] };
  for (const statement of source.statements) {
    if (!ts.isExportDeclaration(statement) || !statement.exportClause || !ts.isNamedExports(statement.exportClause)) {
      // Only `export { … } from '…'` is read here; teach this function any other form first.
      const exported = ts.canHaveModifiers(statement) && ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
      if (exported || ts.isExportDeclaration(statement) || ts.isExportAssignment(statement)) {
        throw new Error(`${relative(root, file)}: unsupported export form: ${statement.getText(source).slice(0, 80)}`);
      }
      continue;
    }
    for (const element of statement.exportClause.elements) {
      (statement.isTypeOnly || element.isTypeOnly ? out.types : out.values).push(element.name.text);
    }
  }
  return out;
}

const expected = Object.fromEntries(packages.map((name) => [name, sourceExports(name)])) as Record<Name, Exports>;

/** A TypeScript module importing every export of every package by name (and using the values). */
function exportsCheck(): string {
  const lines: string[] = [];
  const all: string[] = [];
  for (const name of packages) {
    const { values, types } = expected[name];
    const alias = (n: string): string => `${n} as ${name}_${n}`;
    lines.push(`import { ${[...values.map(alias), ...types.map((t) => `type ${alias(t)}`)].join(', ')} } from '@scopegate/${name}';`);
    all.push(...values.map((v) => `${name}_${v}`));
  }
  lines.push(`export const everyValue: unknown[] = [${all.join(', ')}];`);
  return lines.join('\n') + '\n';
}

/** ES modules only: core's JOSE types and jose's are assignable both ways. */
const joseInterop = `import type * as jose from 'jose';
import type { JSONWebKeySet, JWK, JWTHeaderParameters, JWTPayload } from '@scopegate/core';
type Both<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const joseInterop: [Both<JWK, jose.JWK>, Both<JSONWebKeySet, jose.JSONWebKeySet>, Both<JWTPayload, jose.JWTPayload>, Both<JWTHeaderParameters, jose.JWTHeaderParameters>] = [true, true, true, true];
`;

// ---------------------------------------------------------------------------------------------
// The apps.

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';

/** The HTTP round trip both apps make, written once in the subset of TypeScript that is also JavaScript. */
const roundTrip = `
const secret = ${JSON.stringify(SECRET)};
const b64 = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const sign = (claims) => {
  const body = b64({ alg: 'HS256', typ: 'JWT' }) + '.' + b64(claims);
  return body + '.' + createHmac('sha256', secret).update(body).digest('base64url');
};
const app = express();
app.use(scopeGate({ routes: dynamicTable, verifier: { algorithms: ['HS256'], secret } }));
app.get('/environments/:environmentId/users', (req, res) => {
  res.json({ environment: req.params.environmentId, sub: req.auth?.claims?.sub ?? null });
});
const server = app.listen(0, '127.0.0.1');
await once(server, 'listening');
const base = 'http://127.0.0.1:' + server.address().port;
const token = sign({ sub: 'u1', scope: 'environment.users.read', environment_id: 'e', exp: Math.floor(Date.now() / 1000) + 300 });
const ask = async (path, auth) => {
  const res = await fetch(base + path, auth ? { headers: { authorization: 'Bearer ' + auth } } : {});
  return { status: res.status, challenge: res.headers.get('www-authenticate'), body: await res.text() };
};
const results = { allowed: await ask('/environments/e/users', token), anonymous: await ask('/environments/e/users'), otherEnvironment: await ask('/environments/f/users', token) };
server.close();
`;

/** The CommonJS JavaScript app: `require` every package, list its exports, serve. */
const cjsApp = `'use strict';
const { createHmac } = require('node:crypto');
const { once } = require('node:events');
const express = require('express');
const { scopeGate } = require('@scopegate/express');
const { dynamicTable } = require('@scopegate/dynamic');
const exportsOf = {};
for (const name of ${JSON.stringify(packages)}) {
  const mod = require('@scopegate/' + name);
  exportsOf[name] = Object.keys(mod).filter((k) => mod[k] !== undefined);
}
(async () => {
${roundTrip}
console.log(JSON.stringify({ exportsOf, results }));
})().catch((err) => { console.error(err); process.exitCode = 1; });
`;

/** The ES module TypeScript app (NodeNext, strict): the same, typed, with `import`. */
const esmApp = `import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { scopeGate } from '@scopegate/express';
import { dynamicTable } from '@scopegate/dynamic';
import * as core from '@scopegate/core';
import * as dynamic from '@scopegate/dynamic';
import * as expressPackage from '@scopegate/express';
import * as openapi from '@scopegate/openapi';
import * as cli from '@scopegate/cli';
import * as redis from '@scopegate/redis';
import { everyValue } from './exports-check.js';
import { joseInterop } from './jose-interop.js';

const names = (ns: object): string[] => Object.entries(ns).filter(([k, v]) => v !== undefined && k !== 'default' && k !== '__esModule' && k !== 'module.exports').map(([k]) => k);
const exportsOf = { core: names(core), dynamic: names(dynamic), express: names(expressPackage), openapi: names(openapi), cli: names(cli), redis: names(redis) };
if (everyValue.some((v) => v === undefined) || !joseInterop.every(Boolean)) throw new Error('an export is undefined at run time');
${roundTrip
  .replace('(value) =>', '(value: string | object): string =>')
  .replace('(claims) =>', '(claims: object): string =>')
  .replace('server.address().port', '(server.address() as AddressInfo).port')
  .replace('async (path, auth) =>', 'async (path: string, auth?: string) =>')}
console.log(JSON.stringify({ exportsOf, results }));
`;

interface Setting {
  /** Directory of the app under the scratch root. */
  dir: string;
  type: 'module' | 'commonjs';
  compilerOptions: Record<string, unknown>;
  /** Emit and run (the ES module app); the others only type-check. */
  run?: boolean;
}

const strict = { strict: true, target: 'es2022', lib: ['es2022'], types: ['node'], skipLibCheck: false };
const settings: Setting[] = [
  { dir: 'esm-ts', type: 'module', compilerOptions: { ...strict, module: 'nodenext', moduleResolution: 'nodenext', outDir: 'dist', rootDir: 'src' }, run: true },
  { dir: 'node16-cjs', type: 'commonjs', compilerOptions: { ...strict, module: 'node16', moduleResolution: 'node16', noEmit: true } },
  { dir: 'node16-esm', type: 'module', compilerOptions: { ...strict, module: 'node16', moduleResolution: 'node16', noEmit: true } },
  { dir: 'nodenext-cjs', type: 'commonjs', compilerOptions: { ...strict, module: 'nodenext', moduleResolution: 'nodenext', noEmit: true } },
  { dir: 'bundler', type: 'module', compilerOptions: { ...strict, module: 'esnext', moduleResolution: 'bundler', noEmit: true } },
  { dir: 'node10', type: 'commonjs', compilerOptions: { ...strict, module: 'commonjs', moduleResolution: 'node10', noEmit: true } },
];

// ---------------------------------------------------------------------------------------------
// Processes.

interface Result {
  code: number | string | null;
  stdout: string;
  stderr: string;
}

/** Run a command; never rejects (the result says how it ended). npm's own variables are not passed on. */
function run(file: string, args: string[], cwd: string, timeout: number): Promise<Result> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  env.PATH = `${dirname(process.execPath)}${process.platform === 'win32' ? ';' : ':'}${process.env.PATH ?? ''}`;
  env.NO_COLOR = '1';
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env, timeout, maxBuffer: 16 << 20, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const code = err ? ((err as NodeJS.ErrnoException & { code?: unknown }).code ?? (err as { signal?: string }).signal ?? 'error') : 0;
      resolve({ code: code as Result['code'], stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** npm: the one running this test when there is one (`npm test`), else the one on the PATH. */
const npm = (args: string[], cwd: string, timeout: number): Promise<Result> => {
  const cli = process.env.npm_execpath;
  return cli && /npm-cli\.js$/.test(cli) ? run(process.execPath, [cli, ...args], cwd, timeout) : run('npm', args, cwd, timeout);
};

/** At most `limit` at a time. */
function limiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return async (task) => {
    if (active >= limit) await new Promise<void>((go) => queue.push(go));
    active++;
    try {
      return await task();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}

// ---------------------------------------------------------------------------------------------

interface Packed {
  name: string;
  filename: string;
  files: { path: string }[];
}

let work = '';
/** The scratch root with Express 5 (every app), and one with Express 4 (the CommonJS app and a node16 type-check). */
let appRoot = '';
let express4Root = '';
let packed: Record<Name, Packed>;
const typechecks = new Map<string, Promise<Result>>();

beforeAll(async () => {
  work = realpathSync(mkdtempSync(join(tmpdir(), 'scopegate-pack-')));
  if (!relative(root, work).startsWith('..')) throw new Error(`the scratch directory ${work} is inside the repo`);
  const tgz = join(work, 'tgz');
  mkdirSync(tgz);

  const pack = await npm(['pack', '--json', '--pack-destination', tgz, ...packages.flatMap((p) => ['-w', `packages/${p}`])], root, 60_000);
  if (pack.code !== 0) throw new Error(`npm pack failed (${pack.code}): ${pack.stderr}`);
  const list = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as Packed[];
  packed = Object.fromEntries(packages.map((p) => [p, list.find((x) => x.name === `@scopegate/${p}`)!])) as Record<Name, Packed>;

  /** A scratch app root: the six tarballs, Express and its types at these ranges, Node's types, jose. */
  const install = async (dir: string, expressRange: string, typesRange: string): Promise<string> => {
    const at = join(work, dir);
    mkdirSync(at);
    const dependencies: Record<string, string> = { express: expressRange, '@types/express': typesRange, '@types/node': '^20.19.0', jose: '^6.2.17' };
    for (const p of packages) dependencies[`@scopegate/${p}`] = `file:${relative(at, join(tgz, packed[p].filename)).split(sep).join('/')}`;
    writeFileSync(join(at, 'package.json'), JSON.stringify({ name: `scratch-${dir}`, version: '1.0.0', private: true, dependencies }, null, 2));
    const installed = await npm(['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], at, 75_000);
    if (installed.code !== 0) throw new Error(`npm install in ${dir} failed (${installed.code}): ${installed.stderr}`);
    return at;
  };
  [appRoot, express4Root] = await Promise.all([install('apps', '^5.1.0', '^5.0.0'), install('apps-express4', '^4.21.0', '^4.17.21')]);

  const slot = limiter(Math.max(2, Math.min(4, availableParallelism())));
  const typecheck = (key: string, dir: string): void => {
    typechecks.set(key, slot(() => run(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], dir, 120_000)));
  };
  for (const base of [appRoot, express4Root]) writeApp(base, 'cjs-js', 'commonjs', { 'main.js': cjsApp });
  for (const s of settings) {
    const files: Record<string, string> = { 'exports-check.ts': exportsCheck() };
    if (s.type === 'module') files['jose-interop.ts'] = joseInterop;
    if (s.run) files['main.ts'] = esmApp;
    const src = s.run ? 'src/' : '';
    const tsconfig = { compilerOptions: s.compilerOptions, files: Object.keys(files).map((f) => src + f) };
    writeApp(appRoot, s.dir, s.type, Object.fromEntries(Object.entries(files).map(([f, text]) => [src + f, text])), tsconfig);
    typecheck(s.dir, join(appRoot, s.dir));
    if (s.dir === 'node16-cjs') {
      writeApp(express4Root, s.dir, s.type, files, tsconfig);
      typecheck(`${s.dir} with Express 4 and @types/express 4`, join(express4Root, s.dir));
    }
  }
}, 150_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function writeApp(base: string, dir: string, type: 'module' | 'commonjs', files: Record<string, string>, tsconfig?: object): void {
  const at = join(base, dir);
  mkdirSync(at, { recursive: true });
  writeFileSync(join(at, 'package.json'), JSON.stringify({ name: dir, private: true, type }, null, 2));
  if (tsconfig) writeFileSync(join(at, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(at, file)), { recursive: true });
    writeFileSync(join(at, file), text);
  }
}

const installedDir = (name: Name): string => join(appRoot, 'node_modules', '@scopegate', name);

describe('tarballs', () => {
  test.each(packages)('@scopegate/%s holds its README, LICENSE, entry points, declarations and sources', (name) => {
    const files = new Set(packed[name].files.map((f) => f.path));
    const pkg = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8'));
    const missing = (paths: string[]): string[] => paths.map((p) => p.replace(/^\.\//, '')).filter((p) => !files.has(p));
    const entryPoints = [pkg.main, pkg.types, ...Object.values(pkg.exports as Record<string, string | Record<string, string>>).flatMap((t) => (typeof t === 'string' ? [t] : Object.values(t))), ...Object.values((pkg.bin ?? {}) as Record<string, string>)];
    expect(missing(['README.md', 'LICENSE', 'package.json', ...entryPoints])).toEqual([]);

    const dist = [...files].filter((f) => f.startsWith('dist/'));
    const modules = dist.filter((f) => f.endsWith('.js')).map((f) => f.slice('dist/'.length, -'.js'.length));
    expect(modules.length).toBeGreaterThan(0);
    // Every module has its declaration and maps, and comes from a source that still exists (no stale dist/ file).
    expect(missing(modules.flatMap((m) => [`dist/${m}.d.ts`, `dist/${m}.js.map`, `dist/${m}.d.ts.map`, `src/${m}.ts`]))).toEqual([]);
    // Nothing but the package's own files.
    expect([...files].filter((f) => !/^(dist|src|bin)\//.test(f) && !['README.md', 'LICENSE', 'package.json'].includes(f))).toEqual([]);
    expect([...files].filter((f) => /(^|\/)(test|__tests__)\/|\.tsbuildinfo$|\.test\.[jt]s$/.test(f))).toEqual([]);
  });

  test.each(packages)('@scopegate/%s, installed: every source map and relative require points into the package', (name) => {
    const dir = installedDir(name);
    const problems: string[] = [];
    for (const { path } of packed[name].files) {
      const file = join(dir, path);
      if (path.endsWith('.map')) {
        const map = JSON.parse(readFileSync(file, 'utf8')) as { sources: string[] };
        for (const s of map.sources) if (!existsSync(join(dirname(file), s))) problems.push(`${path} → ${s}`);
      } else if (path.endsWith('.js')) {
        for (const [, spec] of readFileSync(file, 'utf8').matchAll(/require\("(\.{1,2}\/[^"]+)"\)/g)) {
          const target = join(dirname(file), spec!);
          if (![target, `${target}.js`, join(target, 'index.js')].some(existsSync)) problems.push(`${path} requires ${spec}`);
        }
      } else if (path.endsWith('.d.ts') && /^\s*(import|export)\b[^;]*\bfrom\s*['"]jose['"]|\bimport\(\s*['"]jose['"]\s*\)/m.test(readFileSync(file, 'utf8'))) {
        problems.push(`${path} imports jose (ESM-only: TS1479 in CommonJS apps under node16)`);
      }
    }
    expect(problems).toEqual([]);
  });

  test.each(packages)('@scopegate/%s: the LICENSE is MIT, the README says how to install it and links the main README', (name) => {
    const license = readFileSync(join(installedDir(name), 'LICENSE'), 'utf8');
    expect(license).toMatch(/^MIT License/);
    expect(license).toMatch(/Copyright \(c\) \d{4} scopegate contributors/);
    const readme = readFileSync(join(installedDir(name), 'README.md'), 'utf8');
    expect(readme).toMatch(name === 'cli' ? /npx -p @scopegate\/cli scopegate|npm install -D @scopegate\/cli/ : new RegExp(`npm install @scopegate/${name}\\b`));
    expect(readme).toMatch(/```(ts|sh)\n/);
    expect(readme).toContain('https://github.com/scopegate/scopegate');
  });
});

describe('type-check of the installed packages (strict, no skipLibCheck)', () => {
  const cases = [...settings.map((s) => [s.dir, s] as const), ['node16-cjs with Express 4 and @types/express 4', settings[1]!] as const];
  test.each(cases)('%s', async (key, setting) => {
    const result = await typechecks.get(key)!;
    expect({ setting: setting.compilerOptions, code: result.code, output: (result.stdout + result.stderr).trim() }).toEqual({ setting: setting.compilerOptions, code: 0, output: '' });
  }, 150_000);
});

/** What both apps print: the exports they found, and the HTTP answers. */
interface AppOutput {
  exportsOf: Record<Name, string[]>;
  results: Record<'allowed' | 'anonymous' | 'otherEnvironment', { status: number; challenge: string | null; body: string }>;
}

function expectApp(result: Result): void {
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  const out = JSON.parse(result.stdout) as AppOutput;
  for (const name of packages) expect({ name, exports: [...out.exportsOf[name]].sort() }).toEqual({ name, exports: [...expected[name].values].sort() });
  expect(out.results.allowed).toMatchObject({ status: 200 });
  expect(JSON.parse(out.results.allowed.body)).toEqual({ environment: 'e', sub: 'u1' });
  expect(out.results.anonymous).toMatchObject({ status: 401, challenge: 'Bearer realm="api"' });
  expect(out.results.otherEnvironment).toMatchObject({ status: 403 });
  expect(out.results.otherEnvironment.challenge).toContain('error="insufficient_scope"');
}

describe('apps', () => {
  test('CommonJS JavaScript: require every package, a request through scopeGate', async () => {
    expectApp(await run(process.execPath, ['main.js'], join(appRoot, 'cjs-js'), 20_000));
  }, 60_000);

  test('CommonJS JavaScript on Express 4 (the peer range admits it): the same request', async () => {
    expect(JSON.parse(readFileSync(join(express4Root, 'node_modules', 'express', 'package.json'), 'utf8')).version).toMatch(/^4\./);
    expectApp(await run(process.execPath, ['main.js'], join(express4Root, 'cjs-js'), 20_000));
  }, 60_000);

  test('ES module TypeScript (NodeNext, strict): compiled, then a request through scopeGate', async () => {
    const compiled = await typechecks.get('esm-ts')!;
    expect((compiled.stdout + compiled.stderr).trim()).toBe('');
    expectApp(await run(process.execPath, ['dist/main.js'], join(appRoot, 'esm-ts'), 20_000));
  }, 150_000);

  test('the scopegate binary answers check', async () => {
    const bin = join(appRoot, 'node_modules', '.bin', 'scopegate');
    const args = ['check', 'GET', '/environments/e/users', '--scopes', 'environment.users.read', '--claim'];
    const allowed = await run(bin, [...args, 'environment_id=e'], appRoot, 20_000);
    expect({ code: allowed.code, stderr: allowed.stderr }).toEqual({ code: 0, stderr: '' });
    expect(allowed.stdout).toMatch(/ALLOWED/);
    const denied = await run(bin, [...args, 'environment_id=f'], appRoot, 20_000);
    expect(denied.code).toBe(1);
    expect(denied.stdout).toMatch(/DENIED[\s\S]*binding-mismatch/);
  }, 60_000);
});
