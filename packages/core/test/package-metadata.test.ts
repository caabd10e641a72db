/**
 * What every published package's package.json promises (issue 17): the Node versions that can load
 * it, where it comes from, its licence and README, its peers. The packed tarballs themselves are
 * checked by pack-install.test.ts.
 *
 * Node range: `@scopegate/core` loads jose 6, an ES module only, with `require()`. Node runs
 * `require(esm)` without a flag from 20.19.0 and 22.12.0 (and 23.0.0) on; Node 21 only behind
 * `--experimental-require-module`, and 22.0–22.11 fail with ERR_REQUIRE_ESM. So exactly
 * `^20.19.0 || >=22.12.0`, for every package that is or needs core, the example gateway and the
 * repository itself.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');
const NODE_RANGE = '^20.19.0 || >=22.12.0';
const published = ['core', 'dynamic', 'express', 'openapi', 'cli', 'redis'] as const;
const read = (file: string) => JSON.parse(readFileSync(join(root, file), 'utf8'));

test.each([...published.map((p) => `packages/${p}/package.json`), 'examples/gateway/package.json', 'package.json'])(`%s: engines.node is ${NODE_RANGE}`, (file) => {
  expect(read(file).engines).toEqual({ node: NODE_RANGE });
});

/** The range, read as npm reads it: which Node versions it admits. */
function admits(version: string): boolean {
  const [major, minor] = version.split('.').map(Number) as [number, number];
  return NODE_RANGE.split('||').some((part) => {
    const m = /^\s*(\^|>=)(\d+)\.(\d+)\.0\s*$/.exec(part);
    if (!m) throw new Error(`unexpected range part ${part}`);
    const [lo, hi] = [Number(m[2]), Number(m[3])];
    return m[1] === '^' ? major === lo && minor >= hi : major > lo || (major === lo && minor >= hi);
  });
}

test('the range admits exactly the Node versions with require(esm) unflagged', () => {
  for (const v of ['20.19.0', '20.20.2', '22.12.0', '22.20.0', '23.0.0', '24.1.0', '26.0.0']) expect([v, admits(v)]).toEqual([v, true]);
  for (const v of ['18.20.0', '20.18.3', '21.7.3', '22.0.0', '22.11.0']) expect([v, admits(v)]).toEqual([v, false]);
  expect(admits(process.versions.node)).toBe(true);
});

describe.each(published)('@scopegate/%s', (name) => {
  const dir = `packages/${name}`;
  const pkg = read(`${dir}/package.json`);

  test('repository, homepage, bugs, keywords, licence, public access', () => {
    expect(pkg.repository).toEqual({ type: 'git', url: 'git+https://github.com/scopegate/scopegate.git', directory: dir });
    expect(pkg.homepage).toBe('https://github.com/scopegate/scopegate#readme');
    expect(pkg.bugs).toEqual({ url: 'https://github.com/scopegate/scopegate/issues' });
    expect(pkg.keywords).toEqual(expect.arrayContaining([expect.any(String)]));
    expect(pkg.keywords.length).toBeGreaterThanOrEqual(4);
    expect(pkg.license).toBe('MIT');
    expect(pkg.publishConfig).toEqual({ access: 'public' });
  });

  test('ships dist/ with the src/ its source maps point to, and a README and LICENSE of its own', () => {
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'src']));
    expect(readFileSync(join(root, dir, 'LICENSE'), 'utf8')).toBe(readFileSync(join(root, 'LICENSE'), 'utf8'));
    expect(existsSync(join(root, dir, 'README.md'))).toBe(true);
  });

  test('depends on the other scopegate packages at exactly their versions', () => {
    for (const [dep, range] of Object.entries({ ...pkg.dependencies, ...pkg.peerDependencies } as Record<string, string>)) {
      const m = /^@scopegate\/(.+)$/.exec(dep);
      if (m) expect([dep, range]).toEqual([dep, read(`packages/${m[1]}/package.json`).version]);
    }
  });
});

test('the root LICENSE is MIT, scopegate contributors', () => {
  const text = readFileSync(join(root, 'LICENSE'), 'utf8');
  expect(text).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} scopegate contributors\n/);
  expect(text).toContain('THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND');
});

test('@scopegate/express: express 4.21+ or 5 as a peer, its types as an optional peer', () => {
  const pkg = read('packages/express/package.json');
  expect(pkg.peerDependencies).toEqual({ express: '^4.21.0 || ^5.0.0', '@types/express': '^4.17.21 || ^5.0.0' });
  expect(pkg.peerDependenciesMeta).toEqual({ '@types/express': { optional: true } });
});
