/**
 * The built packages (dist/, made by `npm run build`, which `npm test` runs first) load by name
 * from CommonJS and from ES modules, with named exports, types declared first in `exports`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');
const run = (args: string[]): string => execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();

const probe = `checkScope(dynamicTable, { method: 'GET', path: '/environments/e/users' }, 'environment.users.read', { environment_id: 'e' }).reason + ' ' + checkScope(dynamicTable, { method: 'GET', path: '/environments/f/users' }, 'environment.users.read', { environment_id: 'e' }).reason + ' ' + typeof ScopeGateError + ' ' + dynamicRoutes.length`;

test('CommonJS: require by package name', () => {
  const out = run([
    '-e',
    `const { checkScope, ScopeGateError } = require('@scopegate/core'); const { dynamicTable, dynamicRoutes } = require('@scopegate/dynamic'); console.log(${probe})`,
  ]);
  expect(out).toBe('scope binding-mismatch function 132');
});

test('@scopegate/express loads from both module systems, with jose (ESM-only) behind core', () => {
  expect(run(['-e', `const { scopeGate } = require('@scopegate/express'); const { createVerifier } = require('@scopegate/core'); createVerifier({ algorithms: ['ES256'], jwksUri: 'https://x.test/jwks' }); console.log(typeof scopeGate)`])).toBe('function');
  expect(run(['--input-type=module', '-e', `import { scopeGate } from '@scopegate/express'; console.log(typeof scopeGate)`])).toBe('function');
});

test('ES modules: import by package name with named exports', () => {
  const out = run([
    '--input-type=module',
    '-e',
    `import { checkScope, ScopeGateError } from '@scopegate/core'; import { dynamicTable, dynamicRoutes } from '@scopegate/dynamic'; console.log(${probe})`,
  ]);
  expect(out).toBe('scope binding-mismatch function 132');
});

test.each(['core', 'dynamic', 'express'])('@scopegate/%s: exports map lists types first and ships declarations', (name) => {
  const pkg = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8'));
  expect(Object.keys(pkg.exports['.'])[0]).toBe('types');
  expect(readFileSync(join(root, 'packages', name, pkg.exports['.'].types), 'utf8')).toContain('export');
});
